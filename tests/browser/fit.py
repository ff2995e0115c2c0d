"""Measuring how a page fits a projector: the text smaller than a size anywhere on the page
(Plotly's SVG text included; the sidebar, the presenter's own panel, left out), the boxes of
elements against the viewport, and a horizontal scroll anywhere."""

from __future__ import annotations

# every visible text node's font size, in CSS pixels, with its text: visible means drawn
# (not display:none, hidden or transparent) with a box of some size, outside the sidebar
SMALL_TEXT = """(limit) => {
  const small = [], side = document.querySelector('[data-testid=stSidebar]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim(), el = n.parentElement;
    if (!text || !el || (side && side.contains(el)) || el.closest('style,script,title,defs'))
      continue;
    let shown = true;
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || +cs.opacity === 0) {
        shown = false; break; }
    }
    const range = document.createRange(); range.selectNodeContents(n);
    const box = range.getBoundingClientRect();
    if (!shown || box.width < 1 || box.height < 1) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < limit) small.push([text.slice(0, 50), size]);
  }
  return small; }"""
# the widest scroll overflow of any element (a horizontal scrollbar), page included
H_SCROLL = """() => {
  let worst = null;
  for (const e of [document.scrollingElement, ...document.querySelectorAll('*')]) {
    const cs = getComputedStyle(e);
    const scrolls = e === document.scrollingElement || ['auto', 'scroll'].includes(cs.overflowX);
    if (scrolls && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 &&
        !e.closest('[data-testid=stSidebar]'))
      if (!worst || e.scrollWidth - e.clientWidth > worst[1])
        worst = [e.getAttribute('data-testid') || e.className || e.tagName,
                 e.scrollWidth - e.clientWidth];
  }
  return worst; }"""


def small_text(page, limit: float = 18) -> list[tuple[str, float]]:
    return [tuple(t) for t in page.evaluate(SMALL_TEXT, limit)]


def h_scroll(page):
    """(what, by how many pixels) of the widest horizontal overflow; None when nothing does."""
    return page.evaluate(H_SCROLL)


def box(page, selector: str) -> tuple[float, float, float, float] | None:
    """(left, top, right, bottom) of the first element ``selector`` finds."""
    found = page.locator(selector).first.bounding_box()
    return found and (found["x"], found["y"], found["x"] + found["width"],
                      found["y"] + found["height"])


def outside(page, selectors: dict[str, str]) -> dict[str, object]:
    """Those of ``selectors`` (name -> selector) missing or not wholly in the viewport."""
    size = page.viewport_size
    bad = {}
    for name, selector in selectors.items():
        b = box(page, selector)
        if b is None or b[0] < 0 or b[1] < 0 or b[2] > size["width"] + 0.5 or \
                b[3] > size["height"] + 0.5:
            bad[name] = b
    return bad
