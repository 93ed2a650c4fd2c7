"""Rendering from several threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from rusty_tags import Div, Li, Span, Ul


def card(n: int) -> str:
    items = Ul(Li(f"<item {n}-{i}>", data_index=i, cls=f"c{n}") for i in range(50))
    return str(
        Div(Span(f"card {n} & co", title=f'"{n}"'), items, id=f"card-{n}", hidden=n % 2 == 0)
    )


def expected(n: int) -> str:
    lis = "".join(f'<li data-index="{i}" class="c{n}">&lt;item {n}-{i}&gt;</li>' for i in range(50))
    hidden = " hidden" if n % 2 == 0 else ""
    return (
        f'<div id="card-{n}"{hidden}><span title="&quot;{n}&quot;">card {n} &amp; co</span>'
        f"<ul>{lis}</ul></div>"
    )


def test_threads_render_correctly() -> None:
    jobs = list(range(400))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(card, jobs))
    assert results == [expected(n) for n in jobs]


def test_shared_elements_across_threads() -> None:
    shared = Div("x" * 5000, cls="big")  # large enough to be shared by reference

    def build(n: int) -> str:
        return str(Div(shared, Span(n), shared))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(build, range(200)))
    inner = str(shared)
    assert results == [f"<div>{inner}<span>{n}</span>{inner}</div>" for n in range(200)]
