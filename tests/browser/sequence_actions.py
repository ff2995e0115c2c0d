"""The actions of the sequence test: what a presenter does to the explorer page. Each action is
drawn from a seeded generator as plain data (a name and numbers), so a step list replays the
same way; each is done as a person would (mouse, wheel, clicks on the widgets), never by
calling into the page."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from tests.browser.helpers import EMPTY_SPOT, wait_idle
from tests.browser.sequence_checks import World

SHIPPED = ("mnist-vae.safetensors", "mnist-ae.safetensors", "mnist-pca.safetensors",
           "fashion-vae.safetensors", "shapes-vae.safetensors", "mnist-cae.safetensors",
           "mnist-dae-gaussian.safetensors", "mnist-bvae-beta4.safetensors")
SIZES = ((1400, 1000), (1280, 720), (1100, 800), (1600, 900))
MAP = ".st-key-map .js-plotly-plot, .st-key-talkmap .js-plotly-plot"
PLOT_AREA = """() => { const d = document.querySelector('%s'); if (!d || !d._fullLayout)
  return null; const L = d._fullLayout, r = d.getBoundingClientRect();
  return [r.left + L.xaxis._offset, r.top + L.yaxis._offset, L.xaxis._length, L.yaxis._length];
  }""" % MAP
DOTS = """() => { const d = document.querySelector('%s'); const L = d._fullLayout;
  const xa = L.xaxis, ya = L.yaxis, r = d.getBoundingClientRect(), out = [];
  for (const t of d._fullData) { if (!t.customdata || t.visible !== true) continue;
    for (let i = 0; i < t.x.length; i += 7) { const px = xa.l2p(t.x[i]), py = ya.l2p(t.y[i]);
      if (px > 4 && py > 4 && px < xa._length - 4 && py < ya._length - 4)
        out.push([r.left + xa._offset + px, r.top + ya._offset + py]); } }
  return out; }""" % MAP
Step = tuple  # (name, *numbers)

# name -> weight in the random walk of actions
WEIGHTS = {"move": 6, "leave": 2, "click_dot": 3, "click_empty": 2, "mode": 2, "undo": 1,
           "clear": 0.4, "play": 3, "wait": 2, "scroll": 1.5, "zoom": 0.7, "resize": 0.6,
           "model": 1.2, "visit": 0.5, "talk": 0.5, "sidebar": 0.4}


def draw(rng: random.Random) -> Step:
    """One action with its numbers, from the seeded generator."""
    name = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    return (name, round(rng.random(), 4), round(rng.random(), 4))


def steps_for(seed: int, n: int) -> list[Step]:
    rng = random.Random(seed)
    return [draw(rng) for _ in range(n)]


# the explorer's map drawn, with its axes: any model's (PLOT_READY wants more than ten traces,
# as MNIST's ten classes draw, and so timed out after every step on shapes-vae's map)
MAP_READY = """() => { const d = document.querySelector('%s'); const L = d && d._fullLayout;
  return !!(d && d._fullData && d._fullData.length && L && L.xaxis && L.yaxis &&
            L.xaxis._length > 0 && L.yaxis._length > 0); }""" % MAP


def settle(page, map_shown: bool = True) -> None:
    """Streamlit idle, the map drawn (``map_shown``: on the explorer page), then two animation
    frames (so a frame's work is done)."""
    wait_idle(page)
    if map_shown:
        try:
            page.wait_for_function(MAP_READY, timeout=30_000)
        except Exception:  # no map: the checks say so
            pass
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _move(page, world: World, x: float, y: float) -> None:
    world.pointer, world.hovering = (int(round(x)), int(round(y))), True
    page.mouse.move(*world.pointer)


def _in_map(page, world: World, fx: float, fy: float) -> bool:
    area = page.evaluate(PLOT_AREA)
    if not area:
        return False
    left, top, w, h = area
    _move(page, world, left + 2 + fx * (w - 4), top + 2 + fy * (h - 4))
    return True


def move(page, world: World, a: float, b: float) -> None:
    _in_map(page, world, a, b)


def leave(page, world: World, a: float, b: float) -> None:
    """Off the map: the top bar, or the column beside the map."""
    w, h = world.size
    spot = (int(w * (0.2 + 0.6 * a)), 8) if b < 0.5 else (w - 12, int(h * (0.2 + 0.6 * a)))
    _move(page, world, *spot)


def click_dot(page, world: World, a: float, b: float) -> None:
    dots = page.evaluate(DOTS)
    if dots:
        _move(page, world, *dots[int(a * len(dots))])
        time.sleep(0.15)  # Plotly's hover, which a click selects
        page.mouse.click(*world.pointer)
        world.hovering = False  # the click's point is shown until the pointer moves


def click_empty(page, world: World, a: float, b: float) -> None:
    spots = []
    for fx in (0.06, 0.94, 0.5, 0.2, 0.8):
        x, y, gap = page.evaluate(EMPTY_SPOT.replace("'.js-plotly-plot'", repr(MAP)), [fx, b])
        if gap >= 14:
            spots.append((x, y))
    if spots:
        x, y = spots[int(a * len(spots))]
        px, py = page.evaluate("""([x, y]) => { const d = document.querySelector('%s');
          const L = d._fullLayout, r = d.getBoundingClientRect();
          return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset +
                  L.yaxis.l2p(y)]; }""" % MAP, [x, y])
        _move(page, world, px, py)
        time.sleep(0.15)
        page.mouse.click(*world.pointer)
        world.hovering = False


def mode(page, world: World, a: float, b: float) -> None:
    """A click on the map decodes, or adds a path stop."""
    name = "Add a path stop" if a < 0.6 else "Decode it"
    _click(page, world, page.get_by_role("radio", name=name))


def _click(page, world: World, target) -> bool:
    """A click in the middle of ``target`` (scrolled into view), the pointer left there."""
    if not target.count():
        return False
    target = target.first
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    if box is None:
        return False
    _move(page, world, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(*world.pointer)
    return True


def _button(page, world: World, name: str) -> None:
    button = page.get_by_role("button", name=name, exact=True)
    if button.count() and button.first.is_enabled():
        _click(page, world, button)


def undo(page, world: World, a: float, b: float) -> None:
    _button(page, world, "Remove it" if a < 0.4 else "Undo stop")


def clear(page, world: World, a: float, b: float) -> None:
    _button(page, world, "Clear path")


def play(page, world: World, a: float, b: float) -> None:
    """Press the player's button (Play the walk, or Pause while it plays)."""
    button = page.locator(".ae-play button")
    if button.count() and button.first.is_enabled():
        _click(page, world, button)


def wait(page, world: World, a: float, b: float) -> None:
    time.sleep(0.2 + 1.3 * a)


def scroll(page, world: World, a: float, b: float) -> None:
    """The wheel over the column beside the map: the page scrolls."""
    w, h = world.size
    _move(page, world, w - 12, int(h * (0.3 + 0.4 * b)))
    page.mouse.wheel(0, int((a - 0.4) * 1200))


def zoom(page, world: World, a: float, b: float) -> None:
    """The wheel over the map: Plotly zooms in or out about the pointer."""
    if _in_map(page, world, 0.3 + 0.4 * b, 0.3 + 0.4 * a):
        page.mouse.wheel(0, -300 if a < 0.5 else 300)


def resize(page, world: World, a: float, b: float) -> None:
    world.size = SIZES[int(a * len(SIZES))]
    page.set_viewport_size({"width": world.size[0], "height": world.size[1]})


def _open_sidebar(page, world: World) -> None:
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.count() and expand.first.is_visible():
        _click(page, world, expand)
        time.sleep(0.6)  # it slides in


def model(page, world: World, a: float, b: float) -> None:
    """Pick another shipped model in the sidebar's checkpoint picker."""
    others = [m for m in SHIPPED if m != world.model]
    name = others[int(a * len(others))]
    _open_sidebar(page, world)
    _click(page, world, page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]"))
    stem = name.removesuffix(".safetensors")
    _click(page, world, page.locator("[role=option]").filter(has_text=f"{stem} ·"))
    world.model = name
    # the server's rerun may start late on a busy machine: wait for it to name the model
    page.wait_for_function("(n) => location.search.includes('ckpt=' + n)", arg=name)


def visit(page, world: World, a: float, b: float) -> None:
    """Another page from the sidebar (the runner checks it, then comes ``back``)."""
    _open_sidebar(page, world)
    other = ("Compare", "Anomalies", "Denoise")[int(a * 3)]
    _click(page, world, page.locator("[data-testid=stSidebarNav] a").filter(has_text=other))
    world.page = other
    page.wait_for_function("(p) => location.pathname.toLowerCase().includes(p)",
                           arg=other.lower())


def back(page, world: World, a: float = 0, b: float = 0) -> None:
    _open_sidebar(page, world)
    _click(page, world, page.locator("[data-testid=stSidebarNav] a").filter(has_text="Explorer"))
    world.page = "explorer"
    page.wait_for_selector(".st-key-decoded", state="attached", timeout=60_000)


def talk(page, world: World, a: float, b: float) -> None:
    _open_sidebar(page, world)
    _click(page, world, page.locator("[data-testid=stSidebar]").get_by_text("Talk mode"))
    world.talk = not world.talk
    page.wait_for_function("(on) => location.search.includes('talk=1') === on", arg=world.talk)


def sidebar(page, world: World, a: float, b: float) -> None:
    collapse = page.locator('[data-testid="stSidebarCollapseButton"] button')
    if collapse.count() and page.locator('[data-testid="stExpandSidebarButton"]').count() == 0:
        _move(page, world, 100, 300)  # its button shows while the pointer is over the sidebar
        time.sleep(0.2)
        _click(page, world, collapse)
    else:
        _open_sidebar(page, world)


ACTIONS: dict[str, Callable] = {n: globals()[n] for n in (*WEIGHTS, "back")}
