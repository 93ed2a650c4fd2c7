"""The real Datastar 1.0 client for browser tests, without internet access.

Pages built with ``rusty_tags.Page`` load Datastar from the official CDN, which the
test machines cannot reach. The ``starhtml`` 0.7.0 wheel on PyPI carries a Datastar
v1.0.1 build (``starhtml/static/js/datastar-core.js``) that runs standalone as a module
script. The ``datastar_js`` fixture downloads that wheel once with pip into
``.cache/datastar/`` (gitignored), checks the file's SHA-256 and extracts it; the
``datastar_context`` fixture gives a Playwright browser context in which requests for
the CDN address are answered with that file. The examples stay exactly as users run
them: the page asks for the CDN, the browser gets the real client.

Like the other real-service fixtures, a missing client fails the test under CI and
skips it elsewhere, with the reason printed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nitro_test_services import missing_service

from rusty_tags import DATASTAR_CDN_URL

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "datastar"
WHEEL_REQUIREMENT = "starhtml==0.7.0"
MEMBER = "starhtml/static/js/datastar-core.js"
#: SHA-256 of ``datastar-core.js`` in starhtml 0.7.0 (Datastar v1.0.1).
SHA256 = "31c8c9efb895beadeba5f73407c3ca60201dee321c5dea56c182817b475bde9f"
JS_FILE = CACHE_DIR / "datastar-1.0.1.js"


def _pip_commands() -> list[list[str]]:
    """Ways to run pip: this interpreter's, uv's (``uv tool run pip``), the system's."""
    commands = []
    if importlib.util.find_spec("pip") is not None:
        commands.append([sys.executable, "-m", "pip"])
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv:
        commands.append([uv, "tool", "run", "pip"])
    python3 = shutil.which("python3")
    if python3:
        commands.append([python3, "-m", "pip"])
    return commands


def _download_wheel(directory: Path) -> tuple[Path | None, list[str]]:
    arguments = ["download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12"]
    arguments += ["--disable-pip-version-check", WHEEL_REQUIREMENT, "-d", str(directory)]
    failures = []
    for command in _pip_commands():
        try:
            done = subprocess.run(
                [*command, *arguments], capture_output=True, text=True, timeout=180
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            failures.append(f"{' '.join(command)}: {exc}")
            continue
        wheels = sorted(directory.glob("starhtml-*.whl"))
        if done.returncode == 0 and wheels:
            return wheels[0], failures
        failures.append(
            f"{' '.join(command)}: exit {done.returncode}: {done.stderr.strip()[-500:]}"
        )
    if not failures:
        failures.append("no pip found (tried python -m pip, uv tool run pip, python3 -m pip)")
    return None, failures


def fetch_datastar() -> tuple[Path | None, str]:
    """Return the cached client, downloading it first if needed, or ``None`` and why."""
    if JS_FILE.exists() and hashlib.sha256(JS_FILE.read_bytes()).hexdigest() == SHA256:
        return JS_FILE, ""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        wheel, failures = _download_wheel(Path(tmp))
        if wheel is None:
            return None, f"could not download {WHEEL_REQUIREMENT}: " + " | ".join(failures)
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MEMBER)
        digest = hashlib.sha256(data).hexdigest()
        if digest != SHA256:
            return None, f"{MEMBER} in {wheel.name} has SHA-256 {digest}, expected {SHA256}"
        partial = Path(tmp) / JS_FILE.name
        partial.write_bytes(data)
        partial.replace(JS_FILE)
    return JS_FILE, ""


#: This Datastar build fires ``datastar-ready`` on ``document`` once it has applied its
#: attributes to the page; pages record it so tests can wait for it.
READY_SCRIPT = (
    "document.addEventListener('datastar-ready', () => { window.__datastarReady = true }, "
    "{once: true})"
)


#: Traps for tests of script injection: ``alert`` and ``window.__pwned.push`` record
#: what a payload managed to run; a page that ran nothing has ``window.__pwned == []``.
TRAP_SCRIPT = "window.__pwned = []; window.alert = m => window.__pwned.push(String(m));"


def open_page(context: Any, url: str) -> Any:
    """Open ``url`` in a new page of ``context`` and wait until Datastar is running."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.__datastarReady === true")
    return page


@pytest.fixture(scope="session")
def datastar_js() -> Path:
    """The path of the Datastar v1.0.1 client (downloaded once, then cached)."""
    path, reason = fetch_datastar()
    if path is None:
        missing_service(
            f"The Datastar client ({reason})",
            f"pip download --no-deps --only-binary=:all: --python-version 3.12 "
            f"{WHEEL_REQUIREMENT} (needs access to PyPI once)",
        )
    assert path is not None
    return path


def new_datastar_context(chromium: Any, datastar_js: Path, *init_scripts: str) -> Any:
    """A browser context whose pages get the real Datastar from the CDN address.

    Any other request that leaves loopback is aborted, so a test never waits on the
    network. *init_scripts* run in every page before its own scripts (after the one
    that records ``datastar-ready``). The caller closes the context.
    """
    body = datastar_js.read_bytes()
    context = chromium.new_context()

    def serve_datastar(route: Any) -> None:
        # A module script from another origin is fetched in CORS mode.
        route.fulfill(
            status=200,
            body=body,
            headers={
                "Content-Type": "text/javascript; charset=utf-8",
                "Access-Control-Allow-Origin": "*",
            },
        )

    def refuse_outside(route: Any) -> None:
        route.abort("internetdisconnected")

    # Playwright tries the most recently registered route first.
    context.route(
        lambda url: not url.startswith(("http://127.0.0.1", "http://localhost")),
        refuse_outside,
    )
    context.route(DATASTAR_CDN_URL, serve_datastar)
    context.add_init_script(READY_SCRIPT)
    for script in init_scripts:
        context.add_init_script(script)
    return context


@pytest.fixture
def datastar_context(chromium: Any, datastar_js: Path) -> Iterator[Any]:
    """A fresh :func:`new_datastar_context` for one test, closed after it.

    Tests open pages with :func:`open_page` (or ``datastar_context.new_page()``).
    """
    context = new_datastar_context(chromium, datastar_js)
    try:
        yield context
    finally:
        context.close()
