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
</style>
"""
_TALK = """
<style>
html {font-size: 22px;}
.block-container {padding-left: 1.5rem; padding-right: 1.5rem; max-width: 100%;}
h1 {font-size: 2.2rem !important;}
</style>
"""


def apply(talk: bool) -> None:
    st.html(_BASE + (_TALK if talk else ""))
