"""The explorer in the browser: `streamlit run app.py`. Widgets and layout live in
aeexplorer.ui; this file only sets the page up and lists the pages."""

from pathlib import Path

import streamlit as st

from aeexplorer.ui import streamlit_hooks, upkeep

# before anything else: bound what a visitor can make the server hold (uploads, clear_cache)
streamlit_hooks.install()

# (script, title, icon): each script is a few lines that call into aeexplorer.ui
PAGES = [
    ("aeexplorer/ui/pages/explorer.py", "Explorer", ":material/scatter_plot:"),
    ("aeexplorer/ui/pages/compare.py", "Compare", ":material/compare:"),
    ("aeexplorer/ui/pages/anomalies.py", "Anomalies", ":material/troubleshoot:"),
    ("aeexplorer/ui/pages/denoise.py", "Denoise", ":material/blur_off:"),
    ("aeexplorer/ui/pages/train.py", "Train", ":material/model_training:"),
]

# A talk link opens with the sidebar folded away. The choice is made once per session: the
# browser applies a changed value, so one following the URL folded the sidebar (and the
# talk mode toggle in it) away when talk mode was turned off.
if "_sidebar_start" not in st.session_state:
    st.session_state["_sidebar_start"] = ("collapsed" if st.query_params.get("talk") == "1"
                                          else "auto")
st.set_page_config(page_title="AE explorer", page_icon="🔢", layout="wide",
                   initial_sidebar_state=st.session_state["_sidebar_start"])
pages = [st.Page(script, title=title, icon=icon, default=i == 0)
         for i, (script, title, icon) in enumerate(PAGES)]
upkeep.run(Path(__file__).resolve().parent)  # this session is here; old files are cleared
st.navigation(pages).run()
