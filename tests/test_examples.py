"""The README's demo command serves its page, to HTTP clients and to a real browser."""

from __future__ import annotations

from pathlib import Path

import html5lib
import httpx
import pytest
from nitro_examples import serve_example

REPO_ROOT = Path(__file__).resolve().parent.parent


TODO = REPO_ROOT / "examples" / "todo" / "app.py"


def test_readme_demo_todo_serves_and_persists(tmp_path):
    """The README's first command: the page renders, and an added todo is stored."""
    with (
        serve_example("todo", tmp_path) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as client,
    ):
        page = client.get("/")
        assert page.status_code == 200
        assert "<h1>Todos</h1>" in page.text
        added = client.post("/todo/add", json={"title": "write docs"})
        assert added.status_code == 200
        again = client.get("/")
        assert "write docs" in again.text
    assert (tmp_path / "nitro.db").exists()


def test_todo_example_is_under_fifty_lines():
    """The demo stays small. The ``# --8<-- [start:...]`` comments that mark the parts the
    tutorial (docs/tutorials/todo.md) shows are not code, and are not counted."""
    lines = TODO.read_text().splitlines()
    code = [line for line in lines if not line.strip().startswith("# --8<-- [")]
    assert len(code) < 50
    assert len(lines) - len(code) == 12  # six sections, a start and an end each


def test_hello_example_serves_a_page(tmp_path):
    with serve_example("hello", tmp_path) as base_url:
        response = httpx.get(f"{base_url}/", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.lower().startswith("<!doctype html>")
    document = html5lib.parse(response.text, namespaceHTMLElements=False)
    assert document.find(".//h1").text == "Hello from Nitro"
    items = [li.text for li in document.findall(".//ul[@id='packages']/li")]
    assert "nitro-core 0.1.0" in items
    assert any(item.startswith("rusty-tags ") for item in items)


@pytest.mark.browser
def test_hello_page_renders_in_chromium(chromium, tmp_path):
    page = chromium.new_page()
    try:
        with serve_example("hello", tmp_path) as base_url:
            page.goto(f"{base_url}/")
            assert page.title() == "Nitro hello"
            assert page.locator("h1").inner_text() == "Hello from Nitro"
            assert page.locator("#packages li").count() == 9
    finally:
        page.close()
