"""Page script: see aeexplorer.ui.explorer."""

from pathlib import Path

from aeexplorer.ui.explorer import render

render(Path(__file__).resolve().parents[3])
