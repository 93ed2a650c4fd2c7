"""The README's demo command serves its page."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import html5lib
import httpx
from nitro_test_services import free_port, stop_process, wait_for_port

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_hello_example_serves_a_page():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "examples" / "hello" / "app.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process, timeout=30)
        started = time.monotonic()
        response = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert time.monotonic() - started < 10
    finally:
        stop_process(process)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.lower().startswith("<!doctype html>")
    document = html5lib.parse(response.text, namespaceHTMLElements=False)
    assert document.find(".//h1").text == "Hello from Nitro"
    items = [li.text for li in document.findall(".//ul[@id='packages']/li")]
    assert "nitro-core 0.1.0" in items
    assert any(item.startswith("rusty-tags ") for item in items)
