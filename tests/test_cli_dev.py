"""``nitro dev module:app`` through the installed script: it serves the app, and after a
file edit serves the new code (uvicorn's reloader for FastAPI, Flask's for Flask)."""

from __future__ import annotations

import os
import re
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


LOGIN_APP = """
import os
import re
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
    port = free_port()
    log = tmp_path / "dev.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NITRO_ADMIN_")}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(NITRO), "dev", "app:app", "--port", str(port)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "password: " not in log.read_text():
            time.sleep(0.1)
        found = re.search(r"Login: (\S+)  user: (\S+)  password: (\S+)", log.read_text())
        assert found, log.read_text()
        assert found.group(1) == f"{base}/login"
        with httpx.Client(base_url=base, timeout=5) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            form = {"username": found.group(2), "password": found.group(3)}
            answer = client.post("/login", data={**form, "csrf_token": token.group(1)})
            assert answer.status_code == 303, answer.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
