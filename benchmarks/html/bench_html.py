"""HTML rendering benchmark: rusty_tags against its predecessor and the usual peers.

Three workloads, rendered to a ``str`` by every library, interleaved in one run:

  card   a card component of 12 elements with one or two attributes each
  table  a full page with a 1,000 x 5 table whose cells contain ``<``, ``&`` and ``"``
  tree   a tree 12 levels deep, branching 2 (4,095 elements)

Libraries: rusty_tags (this repository), rusty-tags 0.7.0 from PyPI (same import name,
so it runs in a worker process inside its own venv, made with ``uv`` under
``benchmarks/.venv-rusty-tags-0.7.0``; ``Safe()`` escapes its text), Jinja2 (compiled
template, autoescape on), htpy, dominate, FastHTML's FT (``to_xml``), f-strings with
``markupsafe.escape`` and f-strings with ``html.escape`` (the floor).

Time: each round runs every library once in a rotating order; a run renders the workload
``n`` times (``n`` picked so one run takes about 40 ms) and records time per render. The
figure printed is the median over the rounds. The worker process times itself, so
talking to it is not counted.

Memory (table page): peak RSS growth while rendering the page once (Linux: ``VmHWM``
after resetting it through ``/proc/self/clear_refs``, minus ``VmRSS`` before), in a fresh
process per library, median of 3 processes. It includes the returned ``str``. RSS and
not tracemalloc, because tracemalloc does not see memory the Rust libraries allocate.

Run from the repository root:

    uv sync --all-packages --group bench
    (cd rustytags && uv run --no-sync maturin develop --release --uv)
    uv run --no-sync python benchmarks/html/bench_html.py
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import html
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LEGACY_VENV = HERE.parent / ".venv-rusty-tags-0.7.0"
LEGACY_SPEC = "rusty-tags==0.7.0"

WORKLOADS = ["card", "table", "tree"]
ROWS, COLS = 1000, 5
DEPTH = 12

# --------------------------------------------------------------------------- data

CARD = {
    "id": "card-1",
    "title": "Release notes & more",
    "badge": "New",
    "text": 'Render <b>fast</b>, escape "always".',
    "items": ["one < two", "three & four"],
    "href": "/posts/1?tab=notes&lang=en",
    "action": "@post('/like/1')",
}
TABLE_HEAD = [f"Column {j}" for j in range(COLS)]
TABLE_ROWS = [[f'Item <{i}.{j}> & "quoted"' for j in range(COLS)] for i in range(ROWS)]


# ---------------------------------------------------------------- implementations
# Each builder returns {workload: callable returning the rendered str}.


def build_rusty_tags(legacy: bool = False) -> dict[str, Callable[[], str]]:
    import rusty_tags as rt

    if legacy:
        safe = rt.Safe  # 0.7.0: Safe() escapes; without it text goes out raw
    else:

        def safe(s: str) -> str:
            return s  # 0.8: text is escaped by default

    A, Body, Button, Div, H2, Head, Html = rt.A, rt.Body, rt.Button, rt.Div, rt.H2, rt.Head, rt.Html
    Li, P, Span, Table, Tbody, Td = rt.Li, rt.P, rt.Span, rt.Table, rt.Tbody, rt.Td
    Th, Thead, Title, Tr, Ul = rt.Th, rt.Thead, rt.Title, rt.Tr, rt.Ul

    def card() -> str:
        c = CARD
        return str(
            Div(
                Div(
                    H2(safe(c["title"]), cls="card-title"),
                    Span(safe(c["badge"]), cls="badge badge-primary"),
                    cls="card-header",
                ),
                Div(
                    P(safe(c["text"]), cls="card-text"),
                    Ul(
                        Li(safe(c["items"][0]), cls="item"),
                        Li(safe(c["items"][1]), cls="item"),
                        cls="list",
                    ),
                    cls="card-body",
                ),
                Div(
                    A("Read more", href=c["href"], cls="btn btn-link"),
                    Button("Like", type="button", cls="btn", data_on_click=c["action"]),
                    cls="card-footer",
                ),
                cls="card",
                id=c["id"],
            )
        )

    def table() -> str:
        return str(
            Html(
                Head(Title("Report")),
                Body(
                    Table(
                        # Unpacked: 0.7.0 does not flatten lists (0.8 does both).
                        Thead(Tr(*[Th(h) for h in TABLE_HEAD])),
                        Tbody(*[Tr(*[Td(safe(cell)) for cell in row]) for row in TABLE_ROWS]),
                        cls="table",
                    )
                ),
            )
        )

    def node(level: int) -> Any:
        if level == DEPTH:
            return Span("leaf", cls="leaf")
        return Div(node(level + 1), node(level + 1), cls=f"l{level}")

    def tree() -> str:
        return str(node(1))

    return {"card": card, "table": table, "tree": tree}


def build_fstring() -> dict[str, Callable[[], str]]:
    esc = html.escape
    return _build_fstring(esc)


def build_markupsafe() -> dict[str, Callable[[], str]]:
    from markupsafe import escape

    return _build_fstring(escape)


def _build_fstring(esc: Callable[[str], Any]) -> dict[str, Callable[[], str]]:
    def card() -> str:
        c = CARD
        items = "".join(f'<li class="item">{esc(i)}</li>' for i in c["items"])
        return (
            f'<div class="card" id="{esc(c["id"])}"><div class="card-header">'
            f'<h2 class="card-title">{esc(c["title"])}</h2>'
            f'<span class="badge badge-primary">{esc(c["badge"])}</span></div>'
            f'<div class="card-body"><p class="card-text">{esc(c["text"])}</p>'
            f'<ul class="list">{items}</ul></div>'
            f'<div class="card-footer">'
            f'<a href="{esc(c["href"])}" class="btn btn-link">Read more</a>'
            f'<button type="button" class="btn" data-on:click="{esc(c["action"])}">Like</button>'
            f"</div></div>"
        )

    def table() -> str:
        head = "".join(f"<th>{esc(h)}</th>" for h in TABLE_HEAD)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
            for row in TABLE_ROWS
        )
        return (
            "<html><head><title>Report</title></head><body>"
            f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            "</body></html>"
        )

    def node(level: int) -> str:
        if level == DEPTH:
            return '<span class="leaf">leaf</span>'
        return f'<div class="l{level}">{node(level + 1)}{node(level + 1)}</div>'

    def tree() -> str:
        return node(1)

    return {"card": card, "table": table, "tree": tree}


JINJA_CARD = """\
<div class="card" id="{{ c.id }}"><div class="card-header">\
<h2 class="card-title">{{ c.title }}</h2>\
<span class="badge badge-primary">{{ c.badge }}</span></div>\
<div class="card-body"><p class="card-text">{{ c.text }}</p>\
<ul class="list">{% for i in c["items"] %}<li class="item">{{ i }}</li>{% endfor %}</ul></div>\
<div class="card-footer"><a href="{{ c.href }}" class="btn btn-link">Read more</a>\
<button type="button" class="btn" data-on:click="{{ c.action }}">Like</button></div></div>"""

JINJA_TABLE = """\
<html><head><title>Report</title></head><body><table class="table"><thead><tr>\
{% for h in head %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>\
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}\
</tbody></table></body></html>"""

JINJA_TREE = """\
{%- macro node(level) -%}
{%- if level == depth -%}<span class="leaf">leaf</span>
{%- else -%}<div class="l{{ level }}">{{ node(level + 1) }}{{ node(level + 1) }}</div>
{%- endif -%}
{%- endmacro -%}
{{ node(1) }}"""


def build_jinja2() -> dict[str, Callable[[], str]]:
    import jinja2

    env = jinja2.Environment(autoescape=True)
    card_t = env.from_string(JINJA_CARD)
    table_t = env.from_string(JINJA_TABLE)
    tree_t = env.from_string(JINJA_TREE)
    return {
        "card": lambda: card_t.render(c=CARD),
        "table": lambda: table_t.render(head=TABLE_HEAD, rows=TABLE_ROWS),
        "tree": lambda: tree_t.render(depth=DEPTH),
    }


def build_htpy() -> dict[str, Callable[[], str]]:
    from htpy import (
        a,
        body,
        button,
        div,
        h2,
        head,
        li,
        p,
        span,
        table,
        tbody,
        td,
        th,
        thead,
        title,
        tr,
        ul,
    )
    from htpy import html as html_

    def card() -> str:
        c = CARD
        return str(
            div(class_="card", id=c["id"])[
                div(class_="card-header")[
                    h2(class_="card-title")[c["title"]],
                    span(class_="badge badge-primary")[c["badge"]],
                ],
                div(class_="card-body")[
                    p(class_="card-text")[c["text"]],
                    ul(class_="list")[(li(class_="item")[i] for i in c["items"])],
                ],
                div(class_="card-footer")[
                    a(href=c["href"], class_="btn btn-link")["Read more"],
                    button({"data-on:click": c["action"]}, type="button", class_="btn")["Like"],
                ],
            ]
        )

    def page() -> str:
        return str(
            html_[
                head[title["Report"]],
                body[
                    table(class_="table")[
                        thead[tr[(th[h] for h in TABLE_HEAD)]],
                        tbody[(tr[(td[cell] for cell in row)] for row in TABLE_ROWS)],
                    ]
                ],
            ]
        )

    def node(level: int) -> Any:
        if level == DEPTH:
            return span(class_="leaf")["leaf"]
        return div(class_=f"l{level}")[node(level + 1), node(level + 1)]

    return {"card": card, "table": page, "tree": lambda: str(node(1))}


def build_dominate() -> dict[str, Callable[[], str]]:
    from dominate import tags as t

    def card() -> str:
        c = CARD
        root = t.div(cls="card", id=c["id"])
        with root:
            with t.div(cls="card-header"):
                t.h2(c["title"], cls="card-title")
                t.span(c["badge"], cls="badge badge-primary")
            with t.div(cls="card-body"):
                t.p(c["text"], cls="card-text")
                with t.ul(cls="list"):
                    for i in c["items"]:
                        t.li(i, cls="item")
            with t.div(cls="card-footer"):
                t.a("Read more", href=c["href"], cls="btn btn-link")
                t.button("Like", type="button", cls="btn", **{"data-on:click": c["action"]})
        return root.render(pretty=False)

    def page() -> str:
        root = t.html()
        with root:
            with t.head():
                t.title("Report")
            with t.body(), t.table(cls="table"):
                with t.thead(), t.tr():
                    for h in TABLE_HEAD:
                        t.th(h)
                with t.tbody():
                    for row in TABLE_ROWS:
                        with t.tr():
                            for cell in row:
                                t.td(cell)
        return root.render(pretty=False)

    def node(level: int) -> Any:
        if level == DEPTH:
            return t.span("leaf", cls="leaf")
        return t.div(node(level + 1), node(level + 1), cls=f"l{level}")

    return {"card": card, "table": page, "tree": lambda: node(1).render(pretty=False)}


def build_fasthtml() -> dict[str, Callable[[], str]]:
    from fasthtml.common import (
        H2,
        A,
        Body,
        Button,
        Div,
        Head,
        Html,
        Li,
        P,
        Span,
        Table,
        Tbody,
        Td,
        Th,
        Thead,
        Title,
        Tr,
        Ul,
        to_xml,
    )

    def render(ft: Any) -> str:
        return to_xml(ft, indent=False)

    def card() -> str:
        c = CARD
        return render(
            Div(
                Div(
                    H2(c["title"], cls="card-title"),
                    Span(c["badge"], cls="badge badge-primary"),
                    cls="card-header",
                ),
                Div(
                    P(c["text"], cls="card-text"),
                    Ul(*(Li(i, cls="item") for i in c["items"]), cls="list"),
                    cls="card-body",
                ),
                Div(
                    A("Read more", href=c["href"], cls="btn btn-link"),
                    Button("Like", type="button", cls="btn", **{"data-on:click": c["action"]}),
                    cls="card-footer",
                ),
                cls="card",
                id=c["id"],
            )
        )

    def page() -> str:
        return render(
            Html(
                Head(Title("Report")),
                Body(
                    Table(
                        Thead(Tr(*(Th(h) for h in TABLE_HEAD))),
                        Tbody(*(Tr(*(Td(cell) for cell in row)) for row in TABLE_ROWS)),
                        cls="table",
                    )
                ),
            )
        )

    def node(level: int) -> Any:
        if level == DEPTH:
            return Span("leaf", cls="leaf")
        return Div(node(level + 1), node(level + 1), cls=f"l{level}")

    return {"card": card, "table": page, "tree": lambda: render(node(1))}


LIBRARIES: dict[str, Callable[[], dict[str, Callable[[], str]]]] = {
    "rusty_tags": build_rusty_tags,
    "rusty-tags 0.7.0": lambda: build_rusty_tags(legacy=True),
    "jinja2": build_jinja2,
    "htpy": build_htpy,
    "dominate": build_dominate,
    "fasthtml": build_fasthtml,
    "markupsafe f-str": build_markupsafe,
    "f-str html.escape": build_fstring,
}
LEGACY = "rusty-tags 0.7.0"
REFERENCE = "rusty_tags"


# ------------------------------------------------------------------------ measuring


def time_batch(fn: Callable[[], str], n: int) -> float:
    """Seconds per render over `n` renders."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def calibrate(fn: Callable[[], str], target: float) -> int:
    fn()
    per = time_batch(fn, 1)
    n = 1
    while per * n < target / 4 and n < 1_000_000:
        n *= 2
        per = time_batch(fn, n)
    return max(1, int(target / per))


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def peak_rss_kib(workload: str, library: str) -> int:
    """Peak RSS growth (KiB) while rendering `workload` once, in this fresh process.

    Linux only: free heap is returned to the OS (``malloc_trim``), the peak-RSS mark is
    reset (``/proc/self/clear_refs``), then peak (``VmHWM``) minus the RSS before.
    """
    fn = LIBRARIES[library]()[workload]
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)
    before = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    out = fn()
    peak = _status_kib("VmHWM")
    assert out
    return peak - before


class Worker:
    """rusty-tags 0.7.0 in a process of its own, started from its venv."""

    def __init__(self, python: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), __file__, "--worker", LEGACY],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **request: Any) -> Any:
        assert self.proc.stdin
        assert self.proc.stdout
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the rusty-tags 0.7.0 worker died")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def serve(library: str) -> None:
    """Worker loop: one JSON request per line on stdin, one JSON answer per line."""
    impl = LIBRARIES[library]()
    for line in sys.stdin:
        req = json.loads(line)
        fn = impl[req["workload"]]
        if req["op"] == "render":
            answer: Any = fn()
        elif req["op"] == "calibrate":
            answer = calibrate(fn, req["target"])
        else:
            answer = time_batch(fn, req["n"])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def legacy_python() -> Path:
    python = LEGACY_VENV / "bin" / "python"
    marker = LEGACY_VENV / ".installed"
    if not marker.exists():
        uv = shutil.which("uv") or sys.exit("uv is needed to create the rusty-tags 0.7.0 venv")
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([uv, "venv", "-q", "-p", base, str(LEGACY_VENV)], check=True)
        subprocess.run([uv, "pip", "install", "-q", "-p", str(python), LEGACY_SPEC], check=True)
        marker.write_text(LEGACY_SPEC)
    return python


def check_outputs(outputs: dict[str, str], workload: str) -> None:
    """Every library must render the same document (parsed with html5lib, if present)."""
    try:
        import html5lib
    except ImportError:
        return

    def tree(text: str) -> Any:
        doc = html5lib.parseFragment(text, treebuilder="etree", namespaceHTMLElements=False)

        def convert(el: Any) -> Any:
            kids: list[Any] = [el.text] if el.text else []
            for child in el:
                kids.append(convert(child))
                if child.tail:
                    kids.append(child.tail)
            return (el.tag, sorted(el.attrib.items()), kids)

        return convert(doc)

    reference = tree(outputs[REFERENCE])
    for name, out in outputs.items():
        if name == LEGACY and workload == "card":
            continue  # 0.7.0 cannot escape attribute values ("&" in the link stays raw)
        if tree(out) != reference:
            raise SystemExit(f"{name} renders a different {workload} document than rusty_tags")


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    return f"{seconds * 1e3:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--target", type=float, default=0.04, help="seconds per timed batch")
    parser.add_argument("--only", nargs="*", choices=WORKLOADS, default=WORKLOADS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        serve(args.worker)
        return
    if args.memory:
        print(peak_rss_kib(*args.memory))
        return

    import rusty_tags

    so = Path(rusty_tags._rusty_tags.__file__)  # type: ignore[attr-defined]
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"rusty_tags {rusty_tags.__version__} from {so}")
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")

    try:
        local = {name: build() for name, build in LIBRARIES.items() if name != LEGACY}
    except ImportError as exc:
        raise SystemExit(
            f"{exc}: install the peers with `uv sync --all-packages --group bench` "
            "and run with `uv run --no-sync`"
        ) from exc
    worker = Worker(legacy_python())
    results: dict[str, dict[str, float]] = {}
    memory: dict[str, int] = {}
    try:
        for workload in args.only:
            outputs = {name: impl[workload]() for name, impl in local.items()}
            outputs[LEGACY] = worker.ask(op="render", workload=workload)
            check_outputs(outputs, workload)

            sizes = {name: calibrate(impl[workload], args.target) for name, impl in local.items()}
            sizes[LEGACY] = worker.ask(op="calibrate", workload=workload, target=args.target)
            names = list(sizes)
            samples: dict[str, list[float]] = {name: [] for name in names}
            for r in range(args.rounds):
                order = names[r % len(names) :] + names[: r % len(names)]
                for name in order:
                    if name == LEGACY:
                        per = worker.ask(op="time", workload=workload, n=sizes[name])
                    else:
                        per = time_batch(local[name][workload], sizes[name])
                    samples[name].append(per)
            results[workload] = {name: statistics.median(s) for name, s in samples.items()}
    finally:
        worker.close()

    if "table" in args.only:
        for name in LIBRARIES:
            python = legacy_python() if name == LEGACY else Path(sys.executable)
            runs = [
                int(
                    subprocess.run(
                        [str(python), __file__, "--memory", "table", name],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                )
                for _ in range(3)
            ]
            memory[name] = int(statistics.median(runs))

    labels = {
        "card": "(a) card, 12 elements",
        "table": f"(b) page with a {ROWS:,} x {COLS} table",
        "tree": f"(c) tree, {DEPTH} levels, branching 2 ({2**DEPTH - 1:,} elements)",
    }
    for workload, timings in results.items():
        ref = timings[REFERENCE]
        print(labels[workload])
        print(f"  {'library':<20}{'per render':>12}   {'x rusty_tags':>12}", end="")
        print(f"   {'peak RSS':>10}" if workload == "table" else "")
        for name, t in sorted(timings.items(), key=lambda kv: kv[1]):
            line = f"  {name:<20}{fmt_time(t):>12}   {t / ref:>11.2f}x"
            if workload == "table":
                line += f"   {memory[name] / 1024:>7.2f} MiB"
            print(line)
        print()
    if args.json:
        args.json.write_text(json.dumps({"time": results, "peak_rss_kib": memory}, indent=2))


if __name__ == "__main__":
    main()
