"""Numbers read from text that a person or the environment gives: never an exception where a
bad value must only fall back, one line a person can act on where it must be refused."""

from __future__ import annotations

import re

from aeexplorer.core.errors import AeError

_NUMBER = re.compile(r"[0-9]{1,4}")  # ASCII digits only: str.isdigit() takes "²" and "٣"


def small_number(text: str) -> int | None:
    """``text`` as a whole number of at most 4 ASCII digits (spaces around allowed), else None:
    never an exception, whatever a person or the environment gives."""
    text = text.strip()
    return int(text) if _NUMBER.fullmatch(text) else None


def parse_hidden(text: str) -> tuple[int, ...]:
    """'512,256' -> (512, 256), with a message a person can act on."""
    widths = [small_number(p) for p in text.split(",")]
    if 1 <= len(widths) <= 8 and all(w is not None and 1 <= w <= 4096 for w in widths):
        return tuple(widths)
    raise AeError(f"hidden widths {text!r}: give 1 to 8 comma-separated widths from 1 to 4096, "
                  "e.g. 512,256")
