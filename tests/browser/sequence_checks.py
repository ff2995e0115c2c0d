"""What the explorer page shows after a step, read in one go, and the invariants it must hold,
recomputed here rather than taken from the page: the z under the pointer from Plotly's axes,
the walk's point from the URL's stops, the expected image from torch's decode of that z.

The page's own account of itself (its probe, or its DOM) is read by ``sequence_read``."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

from tests.browser.sequence_read import shown_pixels
from tests.helpers import REPO

TOL = 1e-3  # per pixel, the page's decode against torch's
TOL_8BIT = TOL + 0.5 / 255  # an image read back from a canvas or a PNG
MARKER_PX = 3.0
PLAYING = re.compile(r"Playing the walk \(frame (\d+) of (\d+)\)")
PAUSED = re.compile(r"Walk paused \(frame (\d+) of (\d+)\)")
TITLES = {"hover": re.compile(r"Under the pointer"), "selected": re.compile(r"Selected point")}

@dataclass(frozen=True)
class Axes:
    """Plotly's linear axes of the map: data <-> client pixels, as ``l2p``/``p2l`` do."""
    x0: float
    x1: float
    left: float
    width: float
    y0: float
    y1: float
    top: float
    height: float

    @classmethod
    def of(cls, read: dict) -> Axes | None:
        a = read.get("axes")
        if not a or a["x"][4] != "linear" or a["y"][4] != "linear":
            return None
        return cls(*a["x"][:4], *a["y"][:4])

    def to_data(self, px: float, py: float) -> tuple[float, float]:
        fx, fy = (px - self.left) / self.width, (py - self.top) / self.height
        return self.x0 + fx * (self.x1 - self.x0), self.y1 - fy * (self.y1 - self.y0)

    def to_client(self, x: float, y: float) -> tuple[float, float]:
        return (self.left + (x - self.x0) / (self.x1 - self.x0) * self.width,
                self.top + (self.y1 - y) / (self.y1 - self.y0) * self.height)

    def inside(self, px: float, py: float) -> bool:
        return (0 <= px - self.left <= self.width) and (0 <= py - self.top <= self.height)


@functools.lru_cache(maxsize=32)
def model_of(name: str):
    """The shipped checkpoint ``name``, loaded once per name (torch's model and its config)."""
    from aeexplorer.core.checkpoints.file import load_checkpoint

    return load_checkpoint(Path(REPO / "checkpoints" / name))


def decode(name: str, z: list[float]) -> np.ndarray:
    """Torch's decode of one code: the planes in order (C*S*S floats)."""
    import torch

    with torch.no_grad():
        out = model_of(name).model.decode(torch.tensor([z], dtype=torch.float32))
    return out.numpy().reshape(-1).astype(np.float64)


def walk_at(stops: list[list[float]], p: float, method: str) -> list[float]:
    """The walk ``p`` legs from its first stop, linear or spherical (``ModelOps.walk``)."""
    leg = min(max(math.floor(p), 0), len(stops) - 2)
    t = min(max(p - leg, 0.0), 1.0)
    a, b = np.asarray(stops[leg], float), np.asarray(stops[leg + 1], float)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if method != "slerp" or na < 1e-8 or nb < 1e-8:
        return list((1 - t) * a + t * b)
    omega = math.acos(min(1.0, max(-1.0, float(np.dot(a / na, b / nb)))))
    norm = (1 - t) * na + t * nb
    if math.pi - omega < 1e-6:
        return list((1 - t) * a + t * b)
    if omega < 1e-6:
        return list(a / na * norm)
    sa, sb = math.sin((1 - t) * omega) / math.sin(omega), math.sin(t * omega) / math.sin(omega)
    return list((sa * a / na + sb * b / nb) * norm)


@dataclass(frozen=True)
class Scene:
    """The scene the server wrote to the URL: model, selection, stops (full codes), method."""
    model: str | None
    z: list[float] | None
    index: int | None
    stops: list[list[float]]
    method: str

    @classmethod
    def of(cls, search: str) -> Scene:
        q = {k: v[0] for k, v in parse_qs(search.lstrip("?")).items()}
        name = q.get("ckpt")
        dim = model_of(name).config.latent_dim if name else 2
        pt = lambda s: [float(v) for v in s.split(",")][:dim] + [0.0] * max(0, dim - 2)  # noqa
        stops = [pt(q[k]) for k in ("a", "b") if k in q]
        stops += [pt(s) for s in q.get("wp", "").split(";") if s and len(stops) == 2]
        z, index = (pt(q["z"]) if "z" in q else None), (int(q["i"]) if "i" in q else None)
        if index is not None and name:
            z = [float(v) for v in model_of(name).atlas.mu[index].tolist()]
        return cls(name, z, index, stops, "slerp" if q.get("m") == "slerp" else "linear")


@dataclass
class World:
    """What the sequence has done, as the test knows it (not as the page says)."""
    model: str
    talk: bool
    size: tuple[int, int]
    page: str = "explorer"
    pointer: tuple[int, int] | None = None  # client pixels, where the mouse was last moved
    hovering: bool = False  # the pointer moved last, rather than clicked the map


def check(read: dict, world: World) -> list[str]:
    """Every invariant the page breaks now, one line each (empty: all hold)."""
    bad = [f"{read['exceptions']} Streamlit exception box(es)"] if read["exceptions"] else []
    if read.get("probeError"):
        bad.append(f"probe() threw {read['probeError']}")
    probe = read.get("probe") or {}
    if world.page != "explorer":
        return bad + (["the walk marker is shown on another page"] if probe.get("marker") else [])
    scene, axes = Scene.of(read["search"]), Axes.of(read)
    if scene.model != world.model:
        bad.append(f"the URL names {scene.model}, the sidebar picked {world.model}")
    if probe.get("model") not in (None, world.model):
        bad.append(f"the probe names {probe['model']}, the sidebar picked {world.model}")
    if axes is None:
        return bad + ["no linear Plotly map on the page"]
    over = bool(world.hovering and world.pointer and axes.inside(*world.pointer)
                and read.get("pointerOnMap"))
    bad += _state(probe, read["playing"], over, scene)
    bad += _image(probe, read["source"], world, axes, scene)
    return bad + _marker(probe, read["playing"], axes, scene)


def _state(probe: dict, playing: bool, over: bool, scene: Scene) -> list[str]:
    state, title = probe.get("state"), probe.get("title") or ""
    said = f"the panel shows {state!r} headed {title!r}"
    if playing:  # the player's button says Pause
        ok = state == "play" and PLAYING.fullmatch(title)
        return [] if ok else [f"the walk plays, but {said}"]
    if over:
        ok = state == "hover" and TITLES["hover"].fullmatch(title)
        return [] if ok else [f"the pointer is over the map, but {said}"]
    if state == "play" and PAUSED.fullmatch(title) and len(scene.stops) >= 2:
        return []
    if state == "selected" and scene.z is not None and TITLES["selected"].fullmatch(title):
        return []
    if state == "none" and scene.z is None:
        return []
    where = "nothing is selected" if scene.z is None else "a point is selected"
    return [f"the pointer is off the map (or has just clicked it), the walk is not playing "
            f"and {where}, but {said}"]


def _wanted_z(probe: dict, world: World, axes: Axes, scene: Scene) -> list[float] | str:
    state, dim = probe.get("state"), model_of(world.model).config.latent_dim
    if state == "hover":
        if world.pointer is None:
            return "a hover image with no pointer on the page"
        xy = axes.to_data(*world.pointer)
        return (list(xy) + [0.0] * dim)[:max(dim, 1)]
    if state == "play":
        walk = probe.get("walk") or {}
        if len(scene.stops) < 2 or walk.get("p") is None:
            return f"a walk frame with {len(scene.stops)} stop(s) and walk {walk}"
        if walk.get("stops") is not None and (
                len(walk["stops"]) != len(scene.stops) or
                np.abs(np.subtract(walk["stops"], scene.stops)).max() > 2e-4):
            return f"the page walks {walk['stops']}, the URL's stops are {scene.stops}"
        return walk_at(scene.stops, walk["p"], scene.method)
    if state == "selected":
        return scene.z if scene.z is not None else "a selected image with nothing selected"
    return []


def _image(probe: dict, source: str, world: World, axes: Axes, scene: Scene) -> list[str]:
    want = _wanted_z(probe, world, axes, scene)
    if isinstance(want, str):
        return [want]
    if not want:
        return []
    state, got_z = probe.get("state"), probe.get("z")
    ztol = 2e-4 if source == "probe" else 6e-4  # the DOM's z has three decimals
    if got_z is not None and (len(got_z) == 0 or
                              np.abs(np.subtract(got_z, want[:len(got_z)])).max() > ztol):
        return [f"{state}: the panel's z is {_fmt(got_z)}, the expected z {_fmt(want)}"]
    cfg = model_of(world.model).config
    pixels = shown_pixels(probe, cfg.image_size, cfg.image_channels)
    if pixels is None:
        return [f"{state}: no image is shown for z = {_fmt(want)} (a blank panel)"]
    torch_px = decode(world.model, want)
    if pixels.shape != torch_px.shape:
        return [f"{state}: {pixels.size} pixels shown, {world.model} decodes {torch_px.size}"]
    err = float(np.abs(pixels - torch_px).max())
    tol = TOL if probe.get("pixels") is not None else TOL_8BIT
    return [] if err <= tol else [
        f"{state}: the image is not {world.model}'s decode of z = {_fmt(want)} "
        f"(max error {err:.4f} per pixel)"]


def _marker(probe: dict, playing: bool, axes: Axes, scene: Scene) -> list[str]:
    m, walk = probe.get("marker"), probe.get("walk") or {}
    visible = bool(m and m.get("visible"))
    if not visible:
        if not playing or len(scene.stops) < 2 or walk.get("p") is None:
            return []
        point = walk_at(scene.stops, walk["p"], scene.method) + [0.0]
        hidden = f"the walk plays, but its marker is hidden (bridge: {probe.get('bridge')})"
        return [hidden] if axes.inside(*axes.to_client(point[0], point[1])) else []
    if len(scene.stops) < 2:
        return [f"the walk marker is shown at {m['client']} with {len(scene.stops)} stop(s)"]
    if walk.get("p") is None:
        return ["the walk marker is shown, but the page says no walk position"]
    point = walk_at(scene.stops, walk["p"], scene.method) + [0.0]
    want = axes.to_client(point[0], point[1])
    off = math.dist(want, m["client"])
    if not axes.inside(*want):
        return [f"the marker is shown at {_fmt(m['client'], 0)}, its walk point "
                f"{_fmt(want, 0)} is outside the map's plot area"]
    return [] if off <= MARKER_PX else [
        f"the marker is {off:.0f} px from the walk's point (at {_fmt(m['client'], 0)}, "
        f"the point at {_fmt(want, 0)})"]


def _fmt(v, digits: int = 3) -> str:
    return "(" + ", ".join(f"{float(x):.{digits}f}" for x in list(v)[:4]) + ")"
