"""``nitro dev module:app`` through the installed script: it serves the app, and after a
file edit serves the new code (uvicorn's reloader for FastAPI, Flask's for Flask)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from nitro_dev_server import NITRO, nitro_dev

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
    with nitro_dev(tmp_path, dict(os.environ)) as server:
        wait_for_answer(server.base, "one")
        (tmp_path / "app.py").write_text(APPS[framework].replace('"one"', '"two"'))
        wait_for_answer(server.base, "two")
    assert f"Serving app:app on {server.base}" in server.log.read_text()


def test_dev_explains_an_app_it_cannot_load(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(NITRO), "dev", "nowhere:app"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "No module named 'nowhere'" in done.stderr


LOGIN_APP = """
import os
from fastapi import FastAPI
from nitro.adapters.fastapi import configure_app, mount
from nitro.auth import PasswordAuth, PasswordUser, SessionAuth, hash_password
from nitro.password_login import PasswordLogin
from nitro.sessions import MemorySessionStore

user = PasswordUser(
    os.environ["NITRO_ADMIN_USER"], hash_password(os.environ["NITRO_ADMIN_PASSWORD"])
)
auth = SessionAuth(
    secret_key="a-development-secret-key-of-32-chars+",
    store=MemorySessionStore(),
    users=PasswordAuth([user]),
)
app = FastAPI()
configure_app(app, auth=auth)
mount(app, PasswordLogin(auth))
"""


def test_dev_prints_a_development_user_that_can_log_in(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(LOGIN_APP)
    with nitro_dev(tmp_path) as server:
        found = server.wait_for_line(r"Login: (\S+)  user: (\S+)  password: (\S+)")
        assert found.group(1) == f"{server.base}/login"
        with httpx.Client(base_url=server.base, timeout=5) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, server.log.read_text()
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            form = {"username": found.group(2), "password": found.group(3)}
            answer = client.post("/login", data={**form, "csrf_token": token.group(1)})
            assert answer.status_code == 303, answer.text
