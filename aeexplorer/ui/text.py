"""Text from outside on the page. Checkpoint metadata, file names, names a visitor typed, URL
values and the error messages that quote them reach Streamlit's Markdown only through ``md``,
which makes Markdown show them as typed: no link, no image fetched from another host, no
heading, no broken code span. Server paths are for the person running the server: visitors see
``…/last/two`` parts unless AEEXPLORER_SHOW_PATHS=1."""

from __future__ import annotations

import os
import re

# every ASCII punctuation character may be backslash-escaped in CommonMark; these are the ones
# that start links, images, emphasis, code, HTML, entities, directives (":red[…]") and math
_SPECIAL = re.compile(r"""([\\`*_{}\[\]()#+\-.!|<>~$:&=^"'@%;/?])""")
# control characters (C0, C1), line and paragraph separators, and the bidirectional overrides
# and isolates that can make a file name read backwards
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_ABSOLUTE = re.compile(r"""(?<![\w.~/…])(?:/[^\s/'"`()\[\],;]+){2,}/?""")
# where a word joiner (U+2060, invisible) goes: before the ":" of a scheme, the "." after
# "www" and the "@" of an address
_AUTOLINK = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?=@)|"
                       r"(?<=mailto)(?=:)|(?<=xmpp)(?=:)|(?<=:)(?=\w)")  # and ":smile:"
_JOINER = "\u2060"
MAX_SHOWN = 600  # characters of one untrusted text on the page


def show_paths() -> bool:
    """Whether the person running the server asked to see its paths (AEEXPLORER_SHOW_PATHS)."""
    return os.environ.get("AEEXPLORER_SHOW_PATHS", "").strip().lower() in ("1", "true", "yes")


def public(message: object) -> str:
    """``message`` as one line for a visitor: absolute server paths cut to their last two parts
    (unless AEEXPLORER_SHOW_PATHS), control characters and newlines turned into spaces,
    at most MAX_SHOWN characters. Plain text: pass it through ``md`` for Markdown."""
    # a file name that is not UTF-8 arrives with lone surrogates, which cannot be sent
    text = str(message).encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub(" ", text)
    if not show_paths():
        for root in _roots():  # whole, spaces and all, before the pattern cuts the rest
            text = text.replace(root + os.sep, "…/")
        text = _ABSOLUTE.sub(_short_path, text)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def _roots() -> list[str]:
    """The server's own folders, longest first: the app's, the data root, the home folder."""
    app = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = {app, os.path.expanduser("~"), os.environ.get("AEEXPLORER_DATA", "")}
    found |= set(os.environ.get("AEEXPLORER_CHECKPOINT_DIRS", "").split(os.pathsep))
    return sorted((r.rstrip(os.sep) for r in found if len(r.strip(os.sep)) > 1), key=len,
                  reverse=True)


def _short_path(match: re.Match) -> str:
    parts = [p for p in match.group().split("/") if p]
    return "…/" + "/".join(parts[-2:])


def md(message: object) -> str:
    """Untrusted text made safe for Markdown: ``public`` first, then every character Markdown
    would read as syntax escaped, so the text shows exactly as written. Escapes do not stop
    GitHub-style autolinks (``https://…``, ``www.…``, ``a@b.c`` become links whatever their
    backslashes), so an invisible word joiner breaks each of those patterns."""
    return _SPECIAL.sub(r"\\\1", _AUTOLINK.sub(_JOINER, public(message)))
