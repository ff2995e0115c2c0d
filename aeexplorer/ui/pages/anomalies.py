"""Page script: see aeexplorer.ui.anomalies."""

from pathlib import Path

from aeexplorer.ui.anomalies import render

render(Path(__file__).resolve().parents[3])
