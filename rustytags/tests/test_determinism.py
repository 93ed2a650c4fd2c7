"""The same input gives byte-identical output in every process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    from rusty_tags import Button, Div, Input, Li, Page, Span, Ul

    attrs = {f"data-k{i}": str(i) for i in range(40)}
    names = {"zeta", "alpha", "mid", "omega", "beta"}  # a set: its order varies by seed
    page = Page(
        Div(
            Span("<x> & y", cls="a", id="b", hidden=True, title='"t"'),
            Input(type="text", name="q", data_bind="q", disabled=False),
            Button(
                "go",
                data_on_click="@post('/go')",
                data_signals={"b": 1, "a": [1, 2], "c": {"z": 0, "y": 1}},
            ),
            Ul(Li(n) for n in sorted(names)),
            **attrs,
        ),
        title="T",
        datastar_src="/static/datastar.js",
    )
    sys.stdout.write(str(page))
    """
)


def render_in_process(seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env.pop("RUSTY_TAGS_DATASTAR_SRC", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, check=True, timeout=60
    )
    return result.stdout


@pytest.mark.slow
def test_output_is_identical_across_processes() -> None:
    outputs = {seed: render_in_process(seed) for seed in ["0", "1", "12345", "random"]}
    first = outputs["0"]
    assert first.startswith(b"<!doctype html>")
    assert b'data-k0="0" data-k1="1" data-k2="2"' in first
    assert all(out == first for out in outputs.values()), outputs.keys()
