"""The ML core, in sub-packages of one idea each: ``models``, ``images`` (pixels in and out),
``datasets``, ``training``, ``latent`` (what is done with a model's codes) and ``checkpoints``;
``pipeline`` runs train -> evaluate -> save across them (map: docs/architecture.md). Plain
Python and torch, usable from a notebook or the CLI; imports nothing from ``aeexplorer.app``,
``aeexplorer.ui``, ``aeexplorer.cli``, streamlit or plotly."""
