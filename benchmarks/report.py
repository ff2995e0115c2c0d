"""The benchmark figures as Markdown tables (ready for the README)."""

from __future__ import annotations

import operator
import statistics

_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq}
_SHOWN = {">=": "≥", "<=": "≤", "==": "="}


def percentiles(times: list[float]) -> tuple[float, float]:
    """(p50, p95): the median, and the 95th percentile by the nearest-rank method."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


def verdict(result: dict, key: str, targets: dict[str, tuple[str, float]]) -> str:
    if key not in targets or key not in result:
        return ""
    op, bound = targets[key]
    met = result[key] is not None and _OPS[op](result[key], bound)
    return f"{_SHOWN[op]} {bound:g}: {'met' if met else 'MISSED'}"


def training_table(result: dict, targets: dict) -> list[str]:
    lines = ["| Training, batch 128 | images timed | ours: images/s | ours: s/epoch "
             "| tutorial loop: images/s | tutorial loop: s/epoch | speedup | target |",
             "|---|--:|--:|--:|--:|--:|--:|---|"]
    for arch in ("dense", "conv"):
        r = result.get(f"train_{arch}_vae")
        if r is None:
            continue
        for precision in ("fp32", "bf16"):
            key = f"train_speedup_{arch}_vae_{precision}"
            default = " (the default here)" if precision == r["default_precision"] else ""
            lines.append(
                f"| {arch} VAE, `--precision {precision}`{default} | {r['images']:,} "
                f"| {r[f'ours_{precision}_images_per_s']:,.0f} "
                f"| {r[f'ours_{precision}_s_per_epoch']:.1f} | {r['reference_images_per_s']:,.0f} "
                f"| {r['reference_s_per_epoch']:.1f} | {result[key]:.2f}x "
                f"| {verdict(result, key, targets)} |")
    if "train_seconds_to_elbo_140" in result:
        lines += ["", *quality_rows(result, targets)]
    return lines


def quality_rows(r: dict, targets: dict) -> list[str]:
    """The fast recipe's time to a test -ELBO of 140, and its curve."""
    seconds, epoch = r["train_seconds_to_elbo_140"], r["train_epochs_to_elbo_140"]
    reached = "not reached" if seconds is None else f"{seconds:.1f} s (epoch {epoch})"
    curve = ", ".join(f"{e}: {v:.1f} at {s:.0f} s" for e, s, v in r["fast_recipe_curve"])
    return ["| Time to quality, `--recipe fast` (MNIST dense VAE) | value | target |",
            "|---|--:|---|",
            f"| training seconds to test −ELBO ≤ 140 ({r['fast_recipe_precision']}) | {reached} "
            f"| {verdict(r, 'train_seconds_to_elbo_140', targets)} |",
            f"| test −ELBO after each epoch (epoch: −ELBO at training seconds) | {curve} | |",
            *(f"| fast recipe, images/s: {label} | {r[key]:,.0f} | |" for key, label in (
                ("fast_images_per_s_threads_1", "1 torch thread, in-memory batcher"),
                ("fast_images_per_s_threads_2", "2 torch threads, in-memory batcher"),
                ("fast_images_per_s_dataloader_threads_2", "2 threads, DataLoader over the "
                 "same tensors")) if key in r)]


def _row(label: str, value: str, p95: str = "", target: str = "") -> str:
    return f"| {label} | {value} | {p95} | {target} |"


def latency_table(result: dict, targets: dict) -> list[str]:
    r, lines = result, ["| Measure | p50 / value | p95 | target |", "|---|--:|--:|---|"]
    if "decode_ms" in r:
        lines += [_row("decode one point (`ops.decode`)", f"{r['decode_ms']:.2f} ms",
                       f"{r['decode_p95_ms']:.2f} ms"),
                  _row("PNG of one decoded image (5x)", f"{r['png_ms']:.2f} ms"),
                  _row(f"encode the test set ({r['encode_images']:,} images)",
                       f"{r['encode_images_per_s']:,.0f} images/s")]
    for kind, label in (("point", "a test point"), ("empty", "empty space")):
        key = f"click_p50_ms_{kind}"
        if key in r:
            lines.append(_row(f"click on {label} → decoded image ({r['clicks']} clicks)",
                              f"{r[key]:.0f} ms", f"{r[f'click_p95_ms_{kind}']:.0f} ms",
                              verdict(r, key, targets)))
    if "cold_start_s" in r:
        lines += [
            _row("first click after load: point / empty space",
                 f"{r['first_click_ms_point']:.0f} / {r['first_click_ms_empty']:.0f} ms"),
            _row("cold start: `Popen` → /_stcore/health", f"{r['health_s']:.2f} s"),
            _row(f"cold start: `Popen` → painted latent map (best of "
                 f"{len(r['cold_start_runs_s'])})", f"{r['cold_start_s']:.2f} s", "",
                 verdict(r, "cold_start_s", targets)),
            _row("second page, warm server → painted map", f"{r['warm_load_s']:.2f} s")]
    return lines + live_rows(r, targets) + sequence_rows(r, targets)


def sequence_rows(r: dict, targets: dict) -> list[str]:
    """The seeded sequence of presenter actions (bench_sequence.py)."""
    if "sequence_steps" not in r:
        return []
    return [_row(f"presenter sequence in Chromium: failures, each replayable "
                 f"({r['sequence_steps']} steps, {r['sequence_source']})",
                 str(r["sequence_failures"]), "", verdict(r, "sequence_failures", targets))]


def _opt(value, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def live_rows(r: dict, targets: dict) -> list[str]:
    """The decoding in the page, under the pointer (bench_live.py)."""
    lines = []
    if "hover_p50_ms" in r:
        both = (f"p50 {verdict(r, 'hover_p50_ms', targets)}; "
                f"p95 {verdict(r, 'hover_p95_ms', targets)}")
        lines += [
            _row(f"pointer move → decoded image painted, timed in the page "
                 f"({r['hover_samples']} of {r['hover_moves']} moves)",
                 f"{r['hover_p50_ms']:.1f} ms", f"{r['hover_p95_ms']:.1f} ms", both),
            _row(f"pointer move → canvas changed, end to end (Playwright `mouse.move`, "
                 f"{r['hover_e2e_samples']} of {r['hover_e2e_moves']} moves)",
                 f"{r['hover_e2e_p50_ms']:.1f} ms", f"{r['hover_e2e_p95_ms']:.1f} ms"),
            _row(f"websocket messages to the server during those "
                 f"{r['hover_moves'] + r['hover_e2e_moves']} moves",
                 f"{r['hover_server_messages']}", "", verdict(r, "hover_server_messages", targets))]
    if "click_page_p50_ms" in r:
        lines.append(_row(f"click on the map → selected image painted by the page, timed in the "
                          f"page ({r['click_page_samples']} of {r['click_page_clicks']} clicks)",
                          f"{r['click_page_p50_ms']:.1f} ms", f"{r['click_page_p95_ms']:.1f} ms",
                          verdict(r, "click_page_p50_ms", targets)))
    if "page_decode_ms" in r:
        lines += [
            _row(f"decode one z in the page (decoder.js `decode`, {r['page_decode_calls']:,} z)",
                 f"{r['page_decode_ms']:.3f} ms"),
            _row(f"decoder weights, one `.bin` per model (fetched "
                 f"{r.get('decoder_fetches', '?')} time(s) by the page: "
                 f"{_opt(r.get('decoder_transfer_bytes'), ',')} bytes transferred, "
                 f"{_opt(r.get('decoder_fetch_ms'), '.0f')} ms)",
                 f"{r['decoder_payload_bytes']:,} bytes")]
    lines += conv_rows(r, targets)
    if "first_live_decode_s" in r:
        lines.append(_row("second page, warm server → first move decoded in the page",
                          "—" if r["first_live_decode_s"] is None
                          else f"{r['first_live_decode_s']:.2f} s"))
    if "playback_fps" in r:
        lines.append(_row(f"walk player ({r['playback_s']:g} s playing, "
                          f"{r['playback_frames']} frames)", f"{r['playback_fps']:.0f} fps", "",
                          verdict(r, "playback_fps", targets)))
    return lines


def conv_rows(r: dict, targets: dict) -> list[str]:
    """The same, on the shipped conv VAE (bench_live.conv_hover)."""
    if "hover_conv_p50_ms" not in r:
        return []
    return [
        _row(f"conv VAE: pointer move → decoded image painted, timed in the page "
             f"({r['hover_conv_samples']} of {r['hover_conv_moves']} moves)",
             f"{r['hover_conv_p50_ms']:.1f} ms", f"{r['hover_conv_p95_ms']:.1f} ms",
             f"p50 {verdict(r, 'hover_conv_p50_ms', targets)}"),
        _row("conv VAE: websocket messages to the server during its moves",
             f"{r['hover_conv_server_messages']}", "",
             verdict(r, "hover_conv_server_messages", targets)),
        _row("conv VAE: decode one z in the page (1,000 z)", f"{r['page_decode_conv_ms']:.3f} ms")]


def table(result: dict, targets: dict) -> str:
    cond = (f"Conditions: {result['mode']} run, {result['cpus']} CPUs (load average "
            f"{result['load_avg_1min']:.1f} at the start), torch {result['torch']} with "
            f"{result['torch_threads']} thread(s) for the model figures, checkpoint "
            f"`{result['checkpoint']}`; Chromium launched before the cold start.")
    return "\n".join([*training_table(result, targets), "",
                      *latency_table(result, targets), "", cond])
