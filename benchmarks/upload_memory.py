"""Peak memory of preparing the worst uploads: each image file goes through ``preprocess_bytes``
in a fresh Python process, and the process's peak resident memory above what it held just
before is reported (Linux: VmHWM reset through /proc/self/clear_refs; elsewhere ru_maxrss,
which also counts the import-time peak). ``tracemalloc`` is printed too: it sees numpy's
arrays but not Pillow's decoded pixels, which is why resident memory is the headline number.

    python benchmarks/upload_memory.py [--before OLD_CHECKOUT] [--only NAME ...] [--threads 5]

``--before`` runs the same files against another checkout's ``aeexplorer`` (e.g. one made with
``git archive COMMIT aeexplorer | tar -x -C /tmp/old``) and prints both side by side.
``--threads N`` also prepares N copies of each file at once in one process, as N people
uploading together would. The files (up to 10 MB each) are made once in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.helpers.images import draw_digit, to_bytes  # noqa: E402  (the test suite's digits)

MIB = 2**20


def _digit(side: tuple[int, int], **kw) -> Image.Image:
    return draw_digit("7", size=side, width=max(side) // 30, **kw)


def _photo(w: int, h: int) -> Image.Image:
    """A phone photo of a digit: dark ink on paper under uneven light, with sensor noise."""
    ink = np.asarray(_digit((w, h)), dtype=np.float32) / 255
    light = np.linspace(150, 215, w, dtype=np.float32)[None, :] + np.zeros((h, 1), np.float32)
    noise = np.random.default_rng(0).normal(0, 3, (h, w)).astype(np.float32)
    grey = light * (1 - 0.7 * ink) + noise
    rgb = np.clip(grey, 0, 255).astype(np.uint8)[..., None] * np.array([1, 1, 1], np.uint8)
    return Image.fromarray(rgb)


def _transparent(w: int, h: int) -> Image.Image:
    rgba = Image.new("RGBA", (w, h), (0, 0, 0, 0))  # black, transparent but for the digit
    rgba.putalpha(_digit((w, h)))
    return rgba


def _rle8_bmp(side: int) -> bytes:
    """An 8-bit run-length-encoded BMP (Pillow cannot write one): 40 MP in a few hundred KB."""
    rows = np.asarray(_digit((side, side), ink=0, paper=255))
    body = bytearray()
    for row in rows[::-1]:  # BMP rows run bottom to top
        edges = np.flatnonzero(np.diff(row)) + 1
        for start, stop in zip(np.r_[0, edges], np.r_[edges, side]):
            for at in range(start, stop, 255):
                body += bytes((min(255, stop - at), row[start]))
        body += b"\x00\x00"  # end of line
    body += b"\x00\x01"  # end of bitmap
    palette = b"".join(bytes((i, i, i, 0)) for i in range(256))
    info = np.array([40, side, side], "<i4").tobytes() + np.array([1, 8], "<u2").tobytes()
    info += np.array([1, len(body), 2835, 2835, 256, 0], "<u4").tobytes()
    offset = 14 + len(info) + len(palette)
    head = b"BM" + np.array([offset + len(body), 0, offset], "<u4").tobytes()
    return head + info + palette + bytes(body)


def _png(im: Image.Image) -> bytes:
    return to_bytes(im, "PNG")


# name -> (what it is, how to make it): for each format the largest image still accepted under
# the default budget, and the ones the budget refuses
CASES = {
    "png-rgba-6300": ("PNG RGBA 6300×6300 (40 MP)", lambda: _png(_transparent(6300, 6300))),
    "png-rgba-4096": ("PNG RGBA 4096×4096 (16.8 MP)", lambda: _png(_transparent(4096, 4096))),
    "png-rgb-6000x4000": ("PNG RGB 6000×4000 (24 MP)",
                          lambda: _png(_digit((6000, 4000)).convert("RGB"))),
    "png-grey-6324": ("PNG grey 6324×6324 (40 MP)", lambda: _png(_digit((6324, 6324)))),
    "png-16bit-5792": ("PNG 16-bit grey 5792×5792 (33.5 MP)",
                       lambda: _png(_digit((5792, 5792)).convert("I;16"))),
    "jpeg-16mp": ("JPEG RGB 4608×3456 (16 MP)",
                  lambda: to_bytes(_photo(4608, 3456), "JPEG", quality=90)),
    "jpeg-40mp": ("JPEG RGB 7296×5472 (40 MP)",
                  lambda: to_bytes(_photo(7296, 5472), "JPEG", quality=85)),
    "gif-6324": ("GIF 6324×6324 (40 MP), transparent",
                 lambda: to_bytes(_digit((6324, 6324), ink=0, paper=1).convert("P"), "GIF",
                               transparency=1)),
    "webp-4096": ("WebP RGB 4096×4096 (16.8 MP)",
                  lambda: to_bytes(_photo(4096, 4096), "WEBP", quality=80)),
    "webp-2048": ("WebP RGB 2048×2048 (4.2 MP)",
                  lambda: to_bytes(_photo(2048, 2048), "WEBP", quality=80)),
    "bmp-24bit-1800": ("BMP 24-bit 1800×1800 (a 10 MB file)",
                       lambda: to_bytes(_digit((1800, 1800)).convert("RGB"), "BMP")),
    "bmp-rle8-6324": ("BMP 8-bit RLE 6324×6324 (40 MP)", lambda: _rle8_bmp(6324)),
    "bmp-rle8-4720": ("BMP 8-bit RLE 4720×4720 (22.3 MP)", lambda: _rle8_bmp(4720)),
}


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    """Linux: start the process's peak resident memory (VmHWM) again from now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(code: str, path: str, threads: int) -> dict:
    """In this (fresh) process: prepare the file ``threads`` times at once with ``code``'s
    aeexplorer; peak memory above the resident memory just before."""
    import resource
    import threading
    import time
    import tracemalloc

    sys.path.insert(0, code)
    from aeexplorer.core.errors import ImageError
    from aeexplorer.core.images.preprocess import preprocess_bytes

    data = Path(path).read_bytes()
    preprocess_bytes(to_bytes(_digit((300, 300)), "PNG"))  # imports scipy and warms up
    hwm = _reset_peak()
    before, outcome = _status("VmRSS"), []

    def run() -> None:
        try:
            preprocess_bytes(data)
            outcome.append("prepared")
        except ImageError as exc:
            outcome.append(f"refused: {exc}")

    tracemalloc.start()
    start = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - start
    numpy_peak = tracemalloc.get_traced_memory()[1]
    peak = _status("VmHWM") if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"outcome": outcome[0], "peak_mib": (peak - before) / MIB, "seconds": seconds,
            "tracemalloc_mib": numpy_peak / MIB, "baseline_mib": before / MIB, "hwm": hwm}


def run_child(code: Path, path: Path, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(code), str(path), str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"outcome": f"crashed ({done.returncode}): {done.stderr.strip()[-200:]}",
                "peak_mib": float("nan"), "seconds": float("nan"), "tracemalloc_mib": float("nan")}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell(result: dict) -> str:
    if result["outcome"].startswith("refused"):
        head = "refused"
    elif result["outcome"] == "prepared":
        head = "ok"
    else:
        return result["outcome"][:40]
    return f"{head}, {result['peak_mib']:.0f} MiB, {result['seconds']:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout, measured too")
    parser.add_argument("--only", nargs="*", choices=list(CASES), default=list(CASES))
    parser.add_argument("--threads", type=int, default=0, help="also N uploads at once")
    args = parser.parse_args()
    codes = ({"before": args.before.resolve()} if args.before else {}) | {"after": REPO}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only:
            what, make = CASES[name]
            path = Path(tmp) / name
            path.write_bytes(make())
            runs = [(1, label, code) for label, code in codes.items()]
            runs += [(args.threads, f"{label} ×{args.threads}", code)
                     for label, code in codes.items() if args.threads > 1]
            results = {label: run_child(code, path, n) for n, label, code in runs}
            rows.append((what, path.stat().st_size, results))
            print(json.dumps({"case": name, "file_bytes": path.stat().st_size, **results}),
                  file=sys.stderr, flush=True)
    labels = list(rows[0][2]) if rows else []
    print("| image | file | " + " | ".join(f"{lab}: peak, time" for lab in labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    for what, size, results in rows:
        cells = " | ".join(cell(results[lab]) for lab in labels)
        print(f"| {what} | {size / MIB:.2f} MB | {cells} |")
    for what, _, results in rows:
        for lab, res in results.items():
            if res["outcome"].startswith("refused") and "×" not in lab:
                print(f"{what} ({lab}): {res['outcome']}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    else:
        main()
