"""The explorer in the browser: `streamlit run app.py`. Widgets and layout live in
aeexplorer.ui; this file only sets the page up."""

from pathlib import Path

import streamlit as st

from aeexplorer.ui.page import main

talk = st.query_params.get("talk") == "1"  # a talk link opens with the sidebar folded away
st.set_page_config(page_title="AE explorer", page_icon="🔢", layout="wide",
                   initial_sidebar_state="collapsed" if talk else "auto")
main(Path(__file__).resolve().parent)
