"""The Streamlit pages: widgets, layout and session state only. What they show is computed by
the ML core (``aeexplorer.core``: ``ckpt.ops``, ``neighbours``, ``placement``) and the app's
logic (``aeexplorer.app``: ``views``, ``anomaly``, ...) and drawn by ``app.figures`` and
``app.imaging``.

Each page script in ``pages/`` (registered in ``app.py``) calls ``render(root)`` of its page
module: ``explorer`` (a folder: the page and its parts), ``compare``, ``anomalies``,
``denoise`` and ``train`` (with ``train_form``). Pages share only through the shared modules
(``common``, ``state``, ``uploads``, ``sidebar``, ``pickers``, ``resources``, ``style``,
``text``), never through each other; ``upkeep`` is the server's housekeeping that ``app.py``
runs on every page."""
