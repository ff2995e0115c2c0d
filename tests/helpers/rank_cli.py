"""The command line as torchrun starts it, except that the process of rank 1 reads its data
from another folder: a machine of a multi-node run that lacks the data set.

    python -m torch.distributed.run ... -m tests.helpers.rank_cli RANK1_DATA_DIR train ...
"""

from __future__ import annotations

import os
import sys

from aeexplorer.cli import main

if __name__ == "__main__":
    elsewhere, argv = sys.argv[1], sys.argv[2:]
    if os.environ.get("RANK") == "1":
        argv[argv.index("--data-dir") + 1] = elsewhere
    sys.exit(main(argv))
