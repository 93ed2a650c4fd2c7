"""Rendering stored data, foreign content, expression quoting and fork-safe ids.

Items of the security review reproduced here:

- a U+0000 stored in a field made every later render of the page raise (the todo demo
  answered 500 to every visitor): it is now written as U+FFFD, as HTML parsers read it;
- ``live(Room(id="x'),alert(1),('"))`` put the id into ``@get('…')`` unquoted;
- ``Svg(Style('</svg><img src=x onerror=…>'))`` escaped the svg: inside SVG and MathML a
  ``<style>``/``<script>`` is not raw text;
- ids drew on a pool of random bits that a forked worker inherited.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi

from nitro import Entity, action
from nitro.actions import live
from rusty_tags import Li, Math, Page, Script, Style, Svg, Ul


class StoredNote(Entity):
    title: str = ""

    @action(method="POST")
    def rename(self, title: str) -> None:
        self.title = title


def test_a_stored_nul_renders_as_the_replacement_character() -> None:
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from nitro.adapters.fastapi import configure_app

    app = FastAPI()
    configure_app(app, entities=[StoredNote])

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        notes = StoredNote.all()
        return str(
            Page(
                Ul(Li(note.title, title=note.title, data_signals=note.signals) for note in notes),
                title="notes",
            )
        )

    StoredNote(id="nul", title="a\x00b").save()  # stored before validation existed
    try:
        with serve_asgi(app) as base_url:
            page = httpx.get(base_url + "/")
            assert page.status_code == 200
            assert '<li title="a\ufffdb"' in page.text
            assert ">a\ufffdb</li>" in page.text
            assert "\\u0000" in page.text  # the signal keeps the exact value, escaped
            # The boundary refuses a new one, naming the parameter; nothing is saved.
            refused = httpx.post(base_url + "/storednote/nul/rename", json={"title": "x\x00"})
            assert refused.status_code == 422
            assert "title" in refused.text
            assert StoredNote.get("nul").title == "a\x00b"
    finally:
        StoredNote.repository().clear()


@pytest.mark.parametrize(
    "entity_id", ["x'),alert(1),('", 'x"),alert(1),("', "x`${alert(1)}`", "@post('/x')", "a/b?c#d"]
)
def test_live_quotes_any_id(entity_id: str) -> None:
    expression = live(StoredNote(id=entity_id))
    assert expression.startswith("@get('/_live/storednote/")
    assert expression.endswith("', {openWhenHidden: true})")
    url = expression[len("@get('") : -len("', {openWhenHidden: true})")]
    # Percent-encoded into one path segment: nothing left that ends the JS string,
    # starts an action or a signal, or changes the path.
    assert not set("'\"`@$/?#(){}") & set(url.removeprefix("/_live/storednote/"))


@pytest.mark.parametrize("foreign", [Svg, Math])
@pytest.mark.parametrize("raw", [Style, Script])
def test_raw_text_that_could_close_svg_or_math_is_refused(foreign: Any, raw: Any) -> None:
    with pytest.raises(ValueError, match="holds '<'"):
        foreign(raw("</svg><img src=x onerror=alert(1)>"))
    assert (
        str(foreign(raw("a > b"))) == f"<{foreign.__name__.lower()}><{raw.__name__.lower()}>"
        f"a > b</{raw.__name__.lower()}></{foreign.__name__.lower()}>"
    )


FORK_SCRIPT = """
import os
from nitro.ids import new_id
new_id()  # fill the pool in the parent, as an app does before gunicorn forks
reads = []
for _ in range(3):
    read, write = os.pipe()
    if os.fork() == 0:  # a pre-forked worker: 20 ids to the parent, then leave
        os.write(write, " ".join(new_id() for _ in range(20)).encode())
        os._exit(0)
    os.close(write)
    reads.append(read)
print(" ".join(new_id() for _ in range(20)))
for read in reads:
    with os.fdopen(read, "rb") as pipe:
        print(pipe.read().decode())
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork() is POSIX-only")
def test_forked_workers_draw_their_own_random_bits() -> None:
    # In a process of its own: pytest's threads make fork() warn in this one.
    done = subprocess.run(
        [sys.executable, "-c", FORK_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    processes = [line.split() for line in done.stdout.splitlines()]
    assert [len(ids) for ids in processes] == [20, 20, 20, 20]
    random_bits = [value[17:] for ids in processes for value in ids]
    assert len(set(random_bits)) == 80, "a forked worker reused another process's random bits"
