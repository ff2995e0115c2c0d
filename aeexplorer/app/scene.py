"""The scene on screen (checkpoint, selected z, path stops, prior sample settings, talk mode) and
its round trip through URL query parameters, so that a bookmarked link restores it.

Parameters: ``ckpt`` (file name), ``z`` (x,y), ``i`` (atlas index of the selected point),
``a`` / ``b`` (path ends, x,y), ``wp`` (waypoints after b, x,y;x,y), ``n`` (frames per leg),
``m`` (linear/slerp), ``seed``, ``t`` (temperature), ``k`` (number of samples), ``talk`` (1),
``mf`` (1: manifold drawn), ``ps`` (1: prior samples marked on the map), ``c`` (``stop``: a click
on the map adds a path stop), ``tab`` (the open tool tab: ``samples``, ``upload``, ``similar``),
``hl`` (the label of the class highlighted on the map).
Anything malformed is ignored, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

Point = tuple[float, float]

N_FRAMES = (2, 40)
N_SAMPLES = (1, 100)
TEMPERATURE = (0.1, 3.0)
MAX_LABEL = 9999  # the largest class label a link may highlight
MAX_STOPS = 12
CLICKS = ("decode", "stop")  # what a click on the map does
TABS = ("path", "samples", "upload", "similar")  # the tool tabs under the map, in order


@dataclass
class Scene:
    ckpt: str | None = None
    z: Point | None = None
    index: int | None = None
    stops: list[Point] = field(default_factory=list)  # [A, B, waypoints...]
    frames: int = 10
    method: str = "linear"
    seed: int = 0
    temperature: float = 1.0
    samples: int = 16
    talk: bool = False
    manifold: bool = False
    show_samples: bool = False
    click: str = CLICKS[0]
    tab: str = TABS[0]
    highlight: int | None = None  # a class label; the page checks it against the model's

    def to_query(self) -> dict[str, str]:
        q: dict[str, str] = {}
        if self.ckpt:
            q["ckpt"] = self.ckpt
        if self.z is not None:
            q["z"] = format_point(self.z)
        if self.index is not None:
            q["i"] = str(self.index)
        for key, stop in zip(("a", "b"), self.stops[:2]):
            q[key] = format_point(stop)
        if len(self.stops) > 2:
            q["wp"] = ";".join(format_point(p) for p in self.stops[2:])
        q.update(n=str(self.frames), m=self.method, seed=str(self.seed),
                 t=_num(self.temperature), k=str(self.samples))
        if self.talk:
            q["talk"] = "1"
        if self.manifold:
            q["mf"] = "1"
        if self.show_samples:
            q["ps"] = "1"
        if self.click != CLICKS[0]:
            q["c"] = self.click
        if self.tab != TABS[0]:
            q["tab"] = self.tab
        if self.highlight is not None:
            q["hl"] = str(self.highlight)
        return q

    @classmethod
    def from_query(cls, q: Mapping[str, str]) -> "Scene":
        s = cls(ckpt=q.get("ckpt") or None, z=parse_point(q.get("z")))
        s.index = _int(q.get("i"), None, 0, 10**7) if s.z is not None else None
        a, b = parse_point(q.get("a")), parse_point(q.get("b"))
        if a is not None:
            s.stops = [a] + ([b] if b is not None else [])
            if b is not None:
                s.stops += [p for p in map(parse_point, (q.get("wp") or "").split(";")) if p]
            s.stops = s.stops[:MAX_STOPS]
        s.frames = _int(q.get("n"), s.frames, *N_FRAMES)
        s.method = q.get("m") if q.get("m") in ("linear", "slerp") else s.method
        s.seed = _int(q.get("seed"), s.seed, 0, 2**31 - 1)
        s.temperature = _float(q.get("t"), s.temperature, *TEMPERATURE)
        s.samples = _int(q.get("k"), s.samples, *N_SAMPLES)
        s.talk = q.get("talk") in ("1", "true", "yes")
        s.manifold = q.get("mf") in ("1", "true", "yes")
        s.show_samples = q.get("ps") in ("1", "true", "yes")
        s.click = q.get("c") if q.get("c") in CLICKS else s.click
        s.tab = q.get("tab") if q.get("tab") in TABS else s.tab
        s.highlight = _int(q.get("hl"), None, 0, MAX_LABEL)
        return s


def _num(v: float) -> str:
    return f"{v:.4g}"


def format_point(p: Point) -> str:
    return f"{p[0]:.4f},{p[1]:.4f}".replace("-0.0000", "0.0000")


def parse_point(text: str | None) -> Point | None:
    if not text:
        return None
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > 1e6:
        return None
    return (x, y)


def _int(text: str | None, default, lo: int, hi: int):
    try:
        v = int(str(text))
    except ValueError:
        return default
    return v if lo <= v <= hi else default


def _float(text: str | None, default: float, lo: float, hi: float) -> float:
    try:
        v = float(str(text))
    except ValueError:
        return default
    return v if math.isfinite(v) and lo <= v <= hi else default
