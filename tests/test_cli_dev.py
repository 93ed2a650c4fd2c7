"""``nitro dev module:app`` through the installed script: it serves the app, and after a
file edit serves the new code (uvicorn's reloader for FastAPI, Flask's for Flask)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from nitro_test_services import free_port

NITRO = Path(sys.executable).with_name("nitro")

APPS = {
    "fastapi": """
from fastapi import FastAPI
from nitro.adapters.fastapi import configure_app
app = FastAPI()
configure_app(app)


@app.get("/hello")
def hello():
    return {"say": "one"}
""",
    "flask": """
from flask import Flask
from nitro.adapters.flask import configure_app
app = Flask(__name__)
configure_app(app)


@app.get("/hello")
def hello():
    return {"say": "one"}
""",
}


def said(base: str) -> str | None:
    try:
        return str(httpx.get(f"{base}/hello", timeout=2).json()["say"])
    except (httpx.HTTPError, ValueError, KeyError):
        return None


def wait_for_answer(base: str, expected: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if said(base) == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"{base}/hello never said {expected!r} (last: {said(base)!r})")


@pytest.mark.parametrize("framework", list(APPS))
def test_dev_serves_and_reloads_after_an_edit(framework: str, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APPS[framework])
    port = free_port()
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(NITRO), "dev", "app:app", "--port", str(port)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server and its reloader children go together
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_answer(base, "one")
        (tmp_path / "app.py").write_text(APPS[framework].replace('"one"', '"two"'))
        wait_for_answer(base, "two")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    assert f"Serving app:app on {base}" in log.read_text()


def test_dev_explains_an_app_it_cannot_load(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(NITRO), "dev", "nowhere:app"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "No module named 'nowhere'" in done.stderr
