"""Page script: see aeexplorer.ui.train."""

from pathlib import Path

from aeexplorer.ui.train import render

render(Path(__file__).resolve().parents[3])
