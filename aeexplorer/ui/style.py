"""Page styling: a little CSS for a calm page, and talk mode's large type."""

from __future__ import annotations

import streamlit as st

_BASE = """
<style>
.block-container {padding-top: 2.2rem; padding-bottom: 2rem; max-width: 1500px;}
[data-testid="stImage"] img {image-rendering: pixelated; border-radius: 4px;}
[data-testid="stImageCaption"] {text-align: center;}
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
