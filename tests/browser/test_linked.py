"""Linked maps in Chromium: Compare with three models in talk mode at 1280x720, the pointer
over one map decoded by all three in the page (no server message), each decode checked against
torch's for that z, a ring at the z on the other maps; then one model switched, hovered again,
the page reloaded with talk mode and the models kept. And Anomalies' map decoding under the
pointer the same way. And a model whose decoder the page is not sent saying so in its cell."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.browser import fit, server
from tests.browser.helpers import wait_idle
from tests.browser.server import ARTIFACTS
from tests.helpers import REPO
from tests.helpers.checkpoints import make_checkpoint

pytestmark = pytest.mark.browser
CKPTS = REPO / "checkpoints"
THREE = "?talk=1&ckpt=mnist-ae.safetensors&vs=mnist-vae.safetensors&vs2=mnist-pca.safetensors"
# every map drawn, and every page decoder loaded
READY = """(keys) => keys.every(k => {
  const d = document.querySelector('.st-key-' + k + ' .js-plotly-plot');
  return d && d._fullData && d._fullData.length > 0 && d._fullLayout.xaxis
    && d._fullLayout.xaxis._length > 0; })"""
NETS = "() => window.__aeNets && Promise.all([...window.__aeNets.values()]).then(() => true)"
# client pixels of a point at fractions (fx, fy) of map `key`'s plot area (fy from the bottom)
AT = """([key, fx, fy]) => {
  const d = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  const L = d._fullLayout, r = d.getBoundingClientRect();
  return [r.left + L.xaxis._offset + fx * L.xaxis._length,
          r.top + L.yaxis._offset + (1 - fy) * L.yaxis._length]; }"""
TO_CLIENT = """([key, x, y]) => {
  const d = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  const L = d._fullLayout, r = d.getBoundingClientRect();
  return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)]; }"""
PROBE = "(key) => window.__aeLive.linked('linked:' + key)"
MAPS = ["cmp_map_a", "cmp_map_b", "cmp_map_c"]
ALL_DECODED = """([key, source]) => { const p = window.__aeLive.linked('linked:' + key);
  return !!p && p.source === source && p.cells.every(c => c.pixels && c.decoder === 'page'); }"""


def _torch_decode(name: str, xy) -> np.ndarray:
    """Torch's decode of the map point ``xy`` as model ``name``'s code (the rest zero)."""
    import torch

    from aeexplorer.app.views import full_z
    from aeexplorer.core.checkpoints.file import load_checkpoint

    ckpt = load_checkpoint(CKPTS / name)
    z = torch.tensor([full_z(ckpt, xy)], dtype=torch.float32)
    with torch.no_grad():
        return ckpt.model.decode(z).numpy().reshape(-1)


def _hover(page, key: str, source: str, fx: float, fy: float) -> dict:
    """The pointer moved onto map ``source`` at a fraction of its plot area: what the row of
    linked maps ``key`` shows once every cell has decoded it."""
    x, y = page.evaluate(AT, [source, fx, fy])
    page.mouse.move(x - 6, y - 6)
    page.mouse.move(x, y, steps=3)
    page.wait_for_function(ALL_DECODED, arg=[key, source], timeout=30_000)
    return page.evaluate(PROBE, key)


def _check_parity(probe: dict, names: dict[str, str]) -> None:
    for cell in probe["cells"]:
        assert cell["z"][:2] == pytest.approx(probe["pointer"], abs=1e-9)  # the same z
        want = _torch_decode(names[cell["key"]], probe["pointer"])
        got = np.array(cell["pixels"], dtype=np.float32)
        assert got.shape == want.shape and np.abs(got - want).max() <= 1e-3, cell["key"]


def _check_rings(page, probe: dict) -> None:
    """A ring at the pointer's z on each other map where that z is in view; none on its own."""
    for cell in probe["cells"]:
        key = cell["key"]
        if key == probe["source"]:
            assert cell["marker"] is None
        elif cell["note"] == "":  # in that map's view
            want = page.evaluate(TO_CLIENT, [key, *probe["pointer"]])
            assert cell["marker"]["visible"]
            assert cell["marker"]["client"] == pytest.approx(want, abs=1.5)


def _pick_c(page, stem: str) -> None:
    """Model C picked as a person does: its box, the name typed, its own option clicked."""
    page.get_by_role("combobox", name="Model C (optional)").click()
    page.keyboard.type(stem)
    page.locator("[role=option]").filter(has_text=stem).first.click()
    page.wait_for_function("(n) => location.search.includes('vs2=' + n)",
                           arg=f"{stem}.safetensors", timeout=60_000)
    wait_idle(page, 120)


def _ready(page, keys: list[str]) -> None:
    page.wait_for_function(READY, arg=keys, timeout=120_000)
    wait_idle(page, 120)
    page.wait_for_function(NETS, timeout=60_000)
    time.sleep(0.5)


def test_three_linked_maps_decode_one_z_a_switch_and_a_reload(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    page = context.new_page()
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    try:
        page.goto(f"{app_url}/compare{THREE}")
        _ready(page, MAPS)
        names = {"cmp_map_a": "mnist-ae.safetensors", "cmp_map_b": "mnist-vae.safetensors",
                 "cmp_map_c": "mnist-pca.safetensors"}
        before = len(sent)
        probe = _hover(page, "cmp_linked", "cmp_map_a", 0.55, 0.6)
        assert len(sent) == before  # decoded in the page: nothing reached the server
        assert [c["title"] for c in probe["cells"]] == [
            "A · AE: under the pointer", "B · VAE: the same z", "C · PCA: the same z"]
        _check_parity(probe, names)
        _check_rings(page, probe)
        assert sum(c["marker"] is not None for c in probe["cells"]) >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "linked-compare-720p.png"))
        # the cells in view, large type, no horizontal scroll, while they show
        assert fit.outside(page, {f"cell {k}": f".st-key-cmp_cell_{k}" for k in "abc"}) == {}
        assert fit.small_text(page) == [] and fit.h_scroll(page) is None

        _pick_c(page, "mnist-bvae-beta4")  # one model switched: its own decoder in C
        _ready(page, MAPS)
        names["cmp_map_c"] = "mnist-bvae-beta4.safetensors"
        before = len(sent)
        probe = _hover(page, "cmp_linked", "cmp_map_b", 0.35, 0.3)
        assert len(sent) == before
        assert probe["cells"][2]["title"] == "C · β-VAE (β=4): the same z"
        _check_parity(probe, names)
        _check_rings(page, probe)
        page.mouse.move(2, 2)  # off the maps: the blocks come back
        page.wait_for_function("(k) => window.__aeLive.linked('linked:' + k).cells"
                               ".every(c => c.state === 'none')", arg="cmp_linked")

        query = page.evaluate("() => location.search")
        page.reload()
        _ready(page, MAPS)
        assert page.evaluate("() => location.search") == query
        assert "talk=1" in query and "vs2=mnist-bvae-beta4.safetensors" in query
        assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") \
            == "22px"
        probe = _hover(page, "cmp_linked", "cmp_map_c", 0.5, 0.5)  # still linked after F5
        _check_parity(probe, names)
        page.screenshot(path=str(ARTIFACTS / "linked-compare-after-reload.png"))
    finally:
        context.close()


def test_anomalies_map_decodes_under_the_pointer(page, app_url):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    page.goto(f"{app_url}/anomalies?ckpt=mnist-vae.safetensors")
    page.wait_for_selector(".st-key-anom_selection", timeout=120_000)
    _ready(page, ["anom_map"])
    before = len(sent)
    probe = _hover(page, "anom_linked", "anom_map", 0.4, 0.6)
    assert len(sent) == before
    cell = probe["cells"][0]
    assert cell["title"] == "Under the pointer" and cell["marker"] is None
    _check_parity(probe, {"anom_map": "mnist-vae.safetensors"})
    hidden = "() => getComputedStyle(document.querySelector('.st-key-anom_selection'))" \
             ".visibility"
    assert page.evaluate(hidden) == "hidden"  # the decode lies over the selection's block
    page.screenshot(path=str(ARTIFACTS / "linked-anomalies.png"))
    page.mouse.move(2, 2)
    page.wait_for_function(f"() => ({hidden})() === 'visible'")
    assert page.external_requests == []


@pytest.fixture(scope="module")
def wide_url(tmp_path_factory, checkpoint_env, data_root):
    """A server that also lists an MNIST autoencoder whose decoder (11.6 M weights, 44 MB) is
    over the size the server sends to a page (decoder_files.MAX_FILE_BYTES, 32 MB)."""
    folder = tmp_path_factory.mktemp("wide")
    make_checkpoint(folder / "mnist-wide-ae.safetensors", kind="ae", hidden=(4096, 2048))
    env = {**checkpoint_env, "AEEXPLORER_DATA": str(data_root),
           "AEEXPLORER_CHECKPOINT_DIRS": str(folder)}
    with server.running(env, ARTIFACTS / "streamlit-wide.log") as url:
        yield url


def test_a_model_with_no_page_decoder_says_so_in_its_cell(page, wide_url):
    page.goto(f"{wide_url}/compare?ckpt=mnist-vae.safetensors&vs=mnist-wide-ae.safetensors"
              "&vs2=none")
    _ready(page, MAPS[:2])
    x, y = page.evaluate(AT, ["cmp_map_a", 0.5, 0.5])
    page.mouse.move(x, y, steps=3)
    page.wait_for_function("() => { const p = window.__aeLive.linked('linked:cmp_linked');"
                           " return !!p && !!p.cells[0].pixels; }")
    a, b = page.evaluate(PROBE, "cmp_linked")["cells"]
    assert a["decoder"] == "page" and b["pixels"] is None and b["decoder"] is None
    assert "MB) is larger than this server sends to a page (32 MB)" in b["note"]
    assert b["note"].endswith("the z under the pointer is not decoded here.")
    shown = page.evaluate("() => { for (const h of document.querySelectorAll('*')) {"
                          " const c = h.shadowRoot && h.shadowRoot.querySelectorAll('.ae-cell');"
                          " if (c && c.length) return c[1].innerText; } return ''; }")
    assert "B · AE: the same z" in shown and "not decoded here" in shown
    page.screenshot(path=str(ARTIFACTS / "linked-no-page-decoder.png"))


def _state(page, key: str = "cmp_linked") -> dict:
    """Each cell's state ('hover' or 'none') by its map's key, and the whole probe."""
    probe = page.evaluate(PROBE, key)
    return {c["key"]: c["state"] for c in probe["cells"]}, probe


def _point_at_centre(page, key: str, shown: str) -> tuple[dict, dict]:
    """The pointer moved to the centre of map ``key``, then ``_state`` once the probe ``p`` of
    Compare's row holds ``shown`` (a JS expression)."""
    x, y = page.evaluate(AT, [key, 0.5, 0.5])
    page.mouse.move(x, y, steps=3)
    page.wait_for_function("() => { const p = window.__aeLive.linked('linked:cmp_linked');"
                           f" return !!p && {shown}; }}")
    return _state(page)


def test_a_reference_map_is_linked_to_no_model_and_its_click_selects_on_all(page, app_url):
    """C is the shipped t-SNE map: over a model's map the models decode and the reference
    shows nothing (no ring: its coordinates are not their z); over the reference its own cell
    says it has no decoder and the models decode nothing; a click on a dot of it selects that
    test image, which A and B then decode."""
    page.goto(f"{app_url}/compare?ckpt=mnist-vae.safetensors&vs=mnist-ae.safetensors"
              "&vs2=ref:mnist-tsne")
    _ready(page, MAPS)
    states, probe = _point_at_centre(page, "cmp_map_a", "!!p.cells[1].pixels")
    assert states == {"cmp_map_a": "hover", "cmp_map_b": "hover", "cmp_map_c": "none"}
    assert probe["cells"][2]["marker"] is None or not probe["cells"][2]["marker"]["visible"]

    states, probe = _point_at_centre(page, "cmp_map_c", "p.source === 'cmp_map_c'")
    assert states == {"cmp_map_a": "none", "cmp_map_b": "none", "cmp_map_c": "hover"}
    c = probe["cells"][2]
    assert c["pixels"] is None and c["note"].startswith("No decoder: a reference map")
    assert c["title"] == "C · t-SNE of the test set (no decoder): under the pointer"
    assert all(cell["marker"] is None or not cell["marker"]["visible"]
               for cell in probe["cells"][:2])

    from aeexplorer.core.latent.reference import load_reference

    codes = load_reference(CKPTS / "references" / "mnist-tsne.safetensors").codes
    i = 1234
    x, y = page.evaluate(TO_CLIENT, ["cmp_map_c", *codes[i].tolist()])
    page.mouse.click(x, y)
    page.wait_for_function("() => [...document.querySelectorAll('.st-key-cmp_cell_a "
                           "figcaption')].some(f => f.textContent.startsWith('decoded'))",
                           timeout=60_000)
    page.mouse.move(2, 2)
    text = page.inner_text(".st-key-cmp_selected")
    assert "No decoder: this map only places the test images" in text
    assert text.count("decoded ·") == 2  # A's and B's; nothing decoded on the reference
    assert "is decoded under it" not in text
    page.screenshot(path=str(ARTIFACTS / "linked-reference.png"))
