"""The figures of both servers side by side, with the targets."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scenario import Figures
from stats import ms, percentile, ratio

TARGET_KIB = 32.0
TARGET_DELIVERY_P99_MS = 1000.0
TARGET_PAGE_P50_MS = 20.0


@dataclass(frozen=True)
class Row:
    label: str
    value: Callable[[Figures], float]
    unit: str = ""
    digits: int = 1
    target: Callable[[float], bool] | None = None
    target_text: str = ""


def deliveries(f: Figures) -> list[float]:
    return [d for change in f.changes for d in change.deliveries]


def missed(f: Figures) -> float:
    return sum(f.established - len(change.deliveries) for change in f.changes)


def heartbeat_median(f: Figures) -> float:
    beats = [b for b, n in sorted(f.heartbeats.items()) for _ in range(n)]
    return percentile(beats, 50)


def last_client(f: Figures) -> float:
    """The slowest change's time until its last client had it."""
    return max((max(c.deliveries, default=math.nan) for c in f.changes), default=math.nan)


def full_gcs(f: Figures) -> float:
    return sum(1 for _, _, generation in f.gc_collections if generation == 2)


def gc_in(f: Figures, start: float, end: float) -> float:
    """Seconds the server spent in garbage collection between ``start`` and ``end``."""
    return sum(max(0.0, min(s + d, end) - max(s, start)) for s, d, _ in f.gc_collections)


ROWS = [
    Row("connections established", lambda f: f.established, digits=0),
    Row("connections failed", lambda f: f.failed, digits=0),
    Row("time to open all", lambda f: f.connect_seconds, "s"),
    Row("handshake to first event, p99", lambda f: ms(percentile(f.connect_latencies, 99)), "ms"),
    Row("RSS before connecting", lambda f: f.rss_before_kib / 1024, "MiB"),
    Row("RSS with all open", lambda f: f.rss_after_kib / 1024, "MiB"),
    Row(
        "memory per connection",
        lambda f: f.kib_per_connection,
        "KiB",
        target=lambda v: v <= TARGET_KIB,
        target_text=f"<= {TARGET_KIB:g} KiB",
    ),
    Row("peak RSS (VmHWM)", lambda f: f.hwm_kib / 1024, "MiB"),
    Row("delivery p50", lambda f: ms(percentile(deliveries(f), 50)), "ms"),
    Row(
        "delivery p99",
        lambda f: ms(percentile(deliveries(f), 99)),
        "ms",
        target=lambda v: v < TARGET_DELIVERY_P99_MS,
        target_text=f"< {TARGET_DELIVERY_P99_MS:g} ms",
    ),
    Row("delivery max", lambda f: ms(percentile(deliveries(f), 100)), "ms"),
    Row("deliveries missed", missed, digits=0),
    Row(
        "POST response, first byte (median)",
        lambda f: ms(percentile([c.answered - c.sent for c in f.changes], 50)),
        "ms",
    ),
    Row(
        "GET /page p50",
        lambda f: ms(percentile(f.page_latencies, 50)),
        "ms",
        2,
        target=lambda v: v < TARGET_PAGE_P50_MS,
        target_text=f"< {TARGET_PAGE_P50_MS:g} ms",
    ),
    Row("GET /page p99", lambda f: ms(percentile(f.page_latencies, 99)), "ms", 2),
    Row("GET /page errors", lambda f: f.page_errors, digits=0),
    Row(
        "heartbeats received (all)", lambda f: sum(b * n for b, n in f.heartbeats.items()), digits=0
    ),
    Row("heartbeats per connection, min", lambda f: min(f.heartbeats, default=0), digits=0),
    Row("heartbeats per connection, median", heartbeat_median, digits=0),
    Row("connections open at the end", lambda f: f.alive, digits=0),
    Row("full GCs (gen 2) while held", full_gcs, digits=0),
    Row(
        "longest GC pause", lambda f: ms(max((d for _, d, _ in f.gc_collections), default=0)), "ms"
    ),
    Row("time in GC while held", lambda f: sum(d for _, d, _ in f.gc_collections), "s", 2),
    Row("server CPU, opening all", lambda f: f.cpu_connect, "s", 2),
    Row("server CPU per change", lambda f: f.cpu_changes / max(len(f.changes), 1), "s", 3),
    Row(
        "server CPU while idle, % of a core",
        lambda f: 100 * f.cpu_idle / max(f.idle_seconds, 1e-9),
        "%",
        1,
    ),
]


def fmt(value: float, digits: int, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}" if unit else text


def table(results: list[Figures]) -> str:
    names = [f.server for f in results]
    pair = "nitro" in names and "floor" in names
    header = ["figure", *names] + (["nitro/floor", "target (nitro)", "(floor)"] if pair else [])
    lines = [header]
    for row in ROWS:
        values = {f.server: float(row.value(f)) for f in results}
        line = [row.label, *(fmt(values[n], row.digits, row.unit) for n in names)]
        if pair:
            r = ratio(values["nitro"], values["floor"])
            line.append("n/a" if math.isnan(r) else f"{r:.2f}x")
            for name in ("nitro", "floor"):
                line.append(verdict(row, values[name]))
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for i, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def verdict(row: Row, value: float) -> str:
    if row.target is None:
        return ""
    if math.isnan(value):
        return f"{row.target_text}: n/a"
    return f"{row.target_text}: {'pass' if row.target(value) else 'FAIL'}"


def per_change(results: list[Figures]) -> str:
    out = []
    for f in results:
        parts = [
            f"#{c.count}: got {len(c.deliveries)}, p50 {ms(percentile(c.deliveries, 50)):.0f} ms, "
            f"last {ms(percentile(c.deliveries, 100)):.0f} ms, "
            f"GC {ms(gc_in(f, c.sent, c.sent + max(c.deliveries, default=0))):.0f} ms"
            for c in f.changes
        ]
        out.append(f"{f.server} per change: " + "; ".join(parts))
        beats = ", ".join(f"{b}: {n}" for b, n in sorted(f.heartbeats.items()))
        out.append(f"{f.server} heartbeats per connection (beats: connections): {beats}")
        out.append(f"{f.server} load average (start, connected, end): {' | '.join(f.loadavg)}")
        if f.connect_errors:
            out.append(f"{f.server} connect errors (retried): {f.connect_errors}")
    return "\n".join(out)
