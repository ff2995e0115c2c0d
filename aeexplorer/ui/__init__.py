"""The Streamlit pages: widgets, layout and session state only. Everything they show is
computed by the core (``ckpt.ops``, ``neighbours``, ``placement``) and the app (``views``,
``anomaly``, ...) and drawn by ``figures`` / ``imaging``."""
