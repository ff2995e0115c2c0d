"""Page styling: a little CSS for a calm page, and talk mode's large type."""

from __future__ import annotations

import streamlit as st

_BASE = """
<style>
.block-container {padding-top: 2.2rem; padding-bottom: 2rem; max-width: 1500px;}
[data-testid="stImage"] img {image-rendering: pixelated; border-radius: 4px;}
[data-testid="stImageCaption"] {text-align: center;}
figure.ae-image {margin: 0 0 0.5rem 0; display: inline-block;}
figure.ae-image img {image-rendering: pixelated; border-radius: 4px; display: block;}
figure.ae-image figcaption {text-align: center; font-size: 0.875rem; opacity: 0.6;
  margin-top: 0.25rem;}
.ae-row {display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start;}
.ae-note {font-size: 0.875rem; opacity: 0.6;}
.st-key-cmp_selected .ae-row {flex-wrap: nowrap; gap: 0.6rem;}
.st-key-cmp_selected figure.ae-image {flex: 0 1 auto; min-width: 0;}
.st-key-cmp_selected figure.ae-image img {max-width: 100%; height: auto;}
</style>
"""
# Talk mode: large type for the room. The sidebar, the presenter's own panel, keeps the
# usual size (zoomed back from 22 px to 16 px), so its picker and model card fit in it. The
# Explorer's map (``.st-key-talkmap``) is as high as the window below Streamlit's header, less
# the line above it that says what a dot is (set close to the map); the Train page's forming
# map (``.st-key-train_talkmap``) below its line of progress, and its curves half of that each.
_TALK = """
<style>
html {font-size: 22px;}
.block-container {padding: 52px 1.5rem 1rem; max-width: 100%;}
[data-testid="stHeader"] {height: 48px; min-height: 48px;}
h1 {font-size: 2.2rem !important;}
[data-testid="stSidebarContent"] {zoom: 0.7273;}
div.st-key-talkmap {flex: none !important; height: calc(100vh - 68px); min-height: 320px;
  gap: 0 !important;}
div.st-key-train_talkmap {flex: none !important; height: calc(100vh - 150px);
  min-height: 300px;}
div[class*="st-key-train_talkcurve_"] {flex: none !important; height: calc(50vh - 85px);
  min-height: 180px;}
.st-key-decoded figure.ae-image img {width: min(252px, 27vh, 16vw) !important;
  height: auto !important;}
[data-baseweb="tab"] p {font-size: 1.05rem;}
[data-testid="stCaptionContainer"], figure.ae-image figcaption, .ae-note {
  font-size: 0.95rem; opacity: 0.85;}
.st-key-decoded h3 {font-size: 1.3rem; padding-top: 0;}
.st-key-side_result figure.ae-image img {width: min(120px, 17vh) !important;
  height: auto !important;}
.st-key-cmp_selected figure.ae-image img {width: min(168px, 16vh) !important;
  height: auto !important;}
div[class*="st-key-cmp_box_"] {flex: none !important; height: max(280px, calc(84vh - 275px));}
.st-key-cmp_selected figure.ae-image {max-width: min(168px, 16vh);}
.st-key-dn_results figure.ae-image img {width: min(252px, 24vh) !important;
  height: auto !important;}
</style>
"""


def apply(talk: bool) -> None:
    st.html(_BASE + (_TALK if talk else ""))
