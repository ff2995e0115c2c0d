import sys

from aeexplorer.cli import main

sys.exit(main())
