"""Page script: see aeexplorer.ui.denoise."""

from pathlib import Path

from aeexplorer.ui.denoise import render

render(Path(__file__).resolve().parents[3])
