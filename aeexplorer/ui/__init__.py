"""The Streamlit pages: widgets, layout and session state only. Everything they show is
computed by the core (``views``, ``explore``) and drawn by ``figures`` / ``imaging``."""
