"""ui.text: untrusted text shown as typed in Markdown, and server paths hidden from visitors
unless the person running the server asks for them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aeexplorer.ui.text import MAX_SHOWN, md, public
from tests.helpers.apptest import plain

HOSTILE = "[download the fix](https://evil.example/x) ![](http://evil.example/beacon.gif)"


def test_links_and_images_lose_their_syntax():
    shown = md(HOSTILE)
    assert "](" not in shown and "![" not in shown and "http://" not in shown
    assert plain(shown) == HOSTILE  # the reader still sees exactly what the file says


@pytest.mark.parametrize("text", ["`name", "**bold**", "# heading", ":red[alert]",
                                  ":material/home:", "$x^2$", "<img src=x>", "&lt;b&gt;",
                                  "a | b", "www.evil.example", "1. item", "- item"])
def test_markdown_syntax_is_escaped(text):
    shown = md(text)
    assert not re.search(r"(?<!\\)[`*#:$<&|.\[\]-]", shown)
    assert plain(shown) == text


@pytest.mark.parametrize("text", ["https://evil.example/x", "HTTP://x.y", "www.evil.example",
                                  "mail me@evil.example", "mailto:me@x.y"])
def test_autolinks_are_broken(text):
    shown = md(text).replace("\\", "")
    assert not re.search(r"(?i)https?://|www\.|\w@\w|mailto:", shown)
    assert plain(md(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_comes_back_as_one_line(text):
    shown = md(text)
    assert "\n" not in shown and "\r" not in shown
    assert len(plain(shown)) <= MAX_SHOWN


def test_server_paths_are_cut_for_visitors(monkeypatch):
    monkeypatch.delenv("AEEXPLORER_SHOW_PATHS", raising=False)
    message = "MNIST not found in /srv/secret/data/MNIST/raw (expected train-images)"
    assert public(message) == "MNIST not found in …/MNIST/raw (expected train-images)"
    assert public("no checkpoint file at /home/me/runs/x.safetensors") == \
        "no checkpoint file at …/runs/x.safetensors"
    assert public("see 1/2 of runs/a.safetensors") == "see 1/2 of runs/a.safetensors"


def test_server_paths_are_shown_to_the_owner(monkeypatch):
    monkeypatch.setenv("AEEXPLORER_SHOW_PATHS", "1")
    message = "MNIST not found in /srv/secret/data/MNIST/raw"
    assert public(message) == message


def test_emoji_shortcodes_and_directives_are_broken():
    for text in (":smile:", ":red[alert]", ":material/home:"):
        shown = md(text).replace("\\", "")
        assert not re.search(r":\w", shown)  # a joiner after each colon
        assert plain(md(text)) == text


def test_controls_bidi_overrides_and_lone_surrogates_are_neutralised():
    shown = md("a\u202eevil\u2066x\x85y \ud800z")
    assert not re.search("[\u202e\u2066\x85\ud800]", shown)
    shown.encode("utf-8")  # sendable: no lone surrogate left


def test_a_server_folder_with_spaces_is_hidden_whole(monkeypatch):
    monkeypatch.delenv("AEEXPLORER_SHOW_PATHS", raising=False)
    monkeypatch.setenv("AEEXPLORER_CHECKPOINT_DIRS", "/home/jo smith/models")
    assert public("bad file /home/jo smith/models/x.safetensors") == "bad file …/x.safetensors"
    assert public("file:/srv/app/secret/x") == "file:…/secret/x"
