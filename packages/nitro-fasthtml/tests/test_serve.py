"""FastHTML's ``serve()`` with entities in the main file, in a real process.

``python main.py`` runs the file as ``__main__``; ``serve()`` then has uvicorn import it
again as ``main``, so every class statement runs twice. The second ``Post`` replaces the
first in the action registry, and the app uvicorn serves routes it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from nitro_test_services import free_port, wait_for_port

from nitro.actions import ActionRoute
from nitro.actions.registry import clash_message

MAIN = """
from fasthtml.common import fast_app, serve

from nitro import Entity
from nitro.actions import action
from nitro.adapters.fasthtml import configure_app

app, rt = fast_app()
configure_app(app)


class Post(Entity):
    title: str = ""
    published: bool = False

    @action(method="POST")
    def publish(self) -> None:
        self.published = True


@rt("/")
def index():
    Post(id="p1", title="hello").save()
    return "ok"


serve(host="127.0.0.1", port={port}, reload={reload})
"""


@pytest.mark.parametrize("reload", [False, True], ids=["no-reload", "reload"])
def test_serve_runs_an_app_with_entities_in_the_main_file(tmp_path: Path, reload: bool) -> None:
    port = free_port()
    main = tmp_path / "main.py"
    main.write_text(
        textwrap.dedent(MAIN).replace("{port}", str(port)).replace("{reload}", str(reload))
    )
    process = subprocess.Popen(
        [sys.executable, str(main)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process, 60)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert client.get("/").status_code == 200
            response = client.post("/post/p1/publish")
            assert response.status_code == 200, response.text
            assert response.json()["entity"]["published"] is True
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    text = output.decode()
    assert "already defined" not in text, text
    assert "same route" not in text, text


SQL_MAIN = """
from fasthtml.common import fast_app, serve

from nitro.actions import action
from nitro.adapters.fasthtml import configure_app
from nitro.sql import SQLEntity, configure

configure({url!r})
app, rt = fast_app()
configure_app(app)


class Post(SQLEntity, table=True):
    title: str = ""
    published: bool = False

    @action(method="POST")
    def publish(self) -> None:
        self.published = True


@rt("/")
def index():
    return ", ".join(f"{p.title}:{p.published}:{type(p).__module__}" for p in Post.all())


@rt("/seed")
def seed():
    Post(id="p1", title="hello").save()
    return "ok"


serve(host="127.0.0.1", port={port}, reload={reload})
"""


@pytest.mark.parametrize("reload", [False, True], ids=["no-reload", "reload"])
def test_serve_runs_an_app_with_a_sql_entity_in_the_main_file(tmp_path: Path, reload: bool) -> None:
    """The second ``class Post(SQLEntity, table=True)`` takes over table "post" instead of
    failing with "Table 'post' is already defined", and the served module's class is the
    one that reads, writes and runs actions."""
    pytest.importorskip("nitro.sql")
    port = free_port()
    main = tmp_path / "main.py"
    source = textwrap.dedent(SQL_MAIN).replace("{port}", str(port))
    source = source.replace("{reload}", str(reload))
    main.write_text(source.replace("{url!r}", repr(f"sqlite:///{tmp_path / 'posts.db'}")))
    process = subprocess.Popen(
        [sys.executable, str(main)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process, 60)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert client.get("/seed").text == "ok"
            assert client.get("/").text == "hello:False:main"
            response = client.post("/post/p1/publish")
            assert response.status_code == 200, response.text
            assert response.json()["entity"]["published"] is True
            assert client.get("/").text == "hello:True:main"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    text = output.decode()
    assert "already defined" not in text, text
    assert "same route" not in text, text
    assert "Traceback" not in text, text


def test_a_class_imported_twice_gets_a_hint_that_says_so() -> None:
    """Two modules holding the same file (as after ``python main.py`` plus an import of
    ``main``): the clash message names the double import, not "rename one"."""
    first = type("Post", (), {"__module__": "__main__"})
    second = type("Post", (), {"__module__": __name__})
    main_module = sys.modules["__main__"]
    saved = getattr(main_module, "__file__", None)
    main_module.__file__ = __file__
    try:
        info = SimpleNamespace(name="publish")  # the message reads the name only
        routes = [
            ActionRoute(cls, info, "POST", "/post/publish", False)  # type: ignore[arg-type]
            for cls in (first, second)
        ]
        message = clash_message(*routes)
    finally:
        if saved is None:
            del main_module.__file__
        else:
            main_module.__file__ = saved
    assert "imported twice" in message
    assert "'__main__'" in message
    assert "rename one" not in message
