"""Page script: see aeexplorer.ui.compare."""

from pathlib import Path

from aeexplorer.ui.compare import render

render(Path(__file__).resolve().parents[3])
