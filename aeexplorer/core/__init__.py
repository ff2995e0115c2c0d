"""The ML core: models, losses, data, training, checkpoints, preprocessing. Plain Python and
torch, usable from a notebook or the CLI; imports nothing from ``aeexplorer.app``,
``aeexplorer.ui``, ``aeexplorer.cli``, streamlit or plotly."""
