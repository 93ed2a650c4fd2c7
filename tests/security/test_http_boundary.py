"""The HTTP boundary of actions and the admin, on FastAPI, Flask and FastHTML, each app
served by a real server in its own process (``http_boundary_app.py``).

What the security issue reported, and what each test shows now:

* Item 6 -- "A 400 MB POST to a Flask @action answered 200 and took 1.2 GB of memory;
  the admin's login page on Flask is the same." Every adapter answers 413 above one
  limit (1 MiB by default) before the body is read: a request announcing 400 MB gets
  its 413 after a few KiB were sent, a chunked body without ``Content-Length`` is
  refused once it passes the limit, and the server's peak memory barely moves.
* Item 7 (deep JSON) -- JSON nested 100,000 deep, in a body or in the ``datastar``
  query parameter, is a 4xx (400 naming the problem, or the server's own 4xx for a URL
  above its length limit), never a 500 or a dropped connection.
* Item 14 -- DNS rebinding: a state-changing request whose ``Host`` and ``Origin`` are
  both the attacker's is 400 (actions and the admin), allowed hosts come from
  ``NITRO_ALLOWED_HOSTS`` read at configure time, and an app served on a non-loopback
  address without them refuses writes with 500 and logs the setting to use.
* Item 3 (actions) -- U+0000 in a ``str`` parameter, or in a field of a model
  parameter, is 422 naming it (the ``_errors`` signal for Datastar), nothing saved.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from nitro_raw_http import chunked, raw_request
from nitro_test_services import free_port, stop_process, wait_for_port

HERE = Path(__file__).resolve().parent
APP = HERE / "http_boundary_app.py"
FRAMEWORKS = ["fastapi", "flask", "fasthtml"]
MB = 1024 * 1024
DATASTAR = {"Datastar-Request": "true"}
NUL_MESSAGE = "Null characters are not allowed."
SETTINGS = ("NITRO_ALLOWED_HOSTS", "NITRO_MAX_BODY_BYTES")


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def peak_rss(self) -> int:
        """The server process's peak resident memory so far, in bytes (``VmHWM``)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers=headers)


@contextmanager
def serve(
    framework: str, bind: str = "127.0.0.1", connect: str = "127.0.0.1", **settings: str
) -> Iterator[Served]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(settings)
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, str(APP), framework, bind, str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(port, process, 60)
            yield Served(f"http://{connect}:{port}", process, log)
        finally:
            stop_process(process)


def public_address() -> str | None:
    """A non-loopback IPv4 address of this machine, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


@pytest.fixture(scope="module", params=FRAMEWORKS)
def local(request: pytest.FixtureRequest) -> Iterator[Served]:
    """The app with no settings at all, on loopback (local development)."""
    with serve(request.param) as served:
        yield served


def title_of(served: Served) -> str:
    with served.client() as client:
        response = client.get("/hbwidget/w1/peek")
        assert response.status_code == 200
        return str(response.json()["result"]["title"])


# -- item 6: the body limit --------------------------------------------------------


def test_400_mb_post_is_refused_before_it_is_read_and_memory_stays_flat(local) -> None:
    before = local.peak_rss()
    announced = {"Content-Type": "application/json", "Content-Length": str(400 * MB)}
    for target in ("/hbwidget/w1/rename", "/admin/login"):
        response = raw_request(local.url, "POST", target, announced, [b" " * 65536] * 128)
        assert response.status == 413, target
        assert response.sent < 8 * MB  # answered while the client was still sending
    streamed = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    for target in ("/hbwidget/w1/rename", "/admin/login"):
        response = raw_request(local.url, "POST", target, streamed, chunked(400 * MB))
        assert response.status == 413, target
        assert response.sent < 64 * MB  # refused soon after the limit, not at the end
    assert local.peak_rss() - before < 48 * MB
    assert title_of(local) == "first"


def test_body_limit_from_the_environment() -> None:
    with serve("flask", NITRO_MAX_BODY_BYTES="4096") as served, served.client() as client:
        padded = {"title": "ok", "pad": "x" * 3000}
        assert client.post("/hbwidget/w1/rename", json=padded).status_code == 200
        padded["pad"] = "x" * 5000
        assert client.post("/hbwidget/w1/rename", json=padded).status_code == 413
        assert client.post("/admin/login", data={"username": "x" * 5000}).status_code == 413


# -- item 7: JSON nested 100,000 deep ----------------------------------------------


def test_json_nested_100000_deep_is_400(local) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with local.client() as client:
        for headers in ({}, DATASTAR):
            response = client.post(
                "/hbwidget/rename",
                content='{"HbWidget": {"id": "w1"}, "title": ' + deep + "}",
                headers={"Content-Type": "application/json", **headers},
            )
            assert response.status_code == 400
            assert "nested too deeply" in response.json()["error"]
        signals = "[" * 3_000 + "]" * 3_000
        response = client.get("/hbwidget/peek", params={"datastar": signals}, headers=DATASTAR)
        assert response.status_code == 400
        assert "the datastar query parameter is nested too deeply" in response.text
    encoded = "%5B" * 100_000 + "%5D" * 100_000  # 600 KB of URL: above every server's limit
    response = raw_request(local.url, "GET", f"/hbwidget/peek?datastar={encoded}", DATASTAR)
    assert 400 <= response.status < 500
    assert title_of(local) == "first"  # and the server is fine


# -- item 14: allowed hosts ----------------------------------------------------------


def test_rebound_host_and_origin_are_refused(local) -> None:
    attacker = {"Host": "rebind.attacker.example", "Origin": "http://rebind.attacker.example"}
    with local.client(**attacker) as client:
        for _ in range(3):
            response = client.post("/hbwidget/w1/rename", json={"title": "pwned"})
            assert response.status_code == 400
            assert "NITRO_ALLOWED_HOSTS" in response.json()["error"]
            login = client.post("/admin/login", data={"username": "ann", "password": "x"})
            assert login.status_code == 400
            assert "NITRO_ALLOWED_HOSTS" in login.text
    assert title_of(local) == "first"
    # logged once per checker (the actions, the admin), not once per request
    refused = [line for line in local.log_text().splitlines() if "rebind.attacker" in line]
    assert len(refused) == 2, refused


def test_allowed_hosts_from_the_environment_on_a_public_address() -> None:
    address = public_address()
    for framework in FRAMEWORKS:
        bind, connect = ("0.0.0.0", address) if address else ("127.0.0.1", "127.0.0.1")
        settings = {"NITRO_ALLOWED_HOSTS": ".example.test, api.internal"}
        with serve(framework, bind, connect, **settings) as served:
            good = {"Host": "shop.example.test", "Origin": "https://shop.example.test"}
            with served.client(**good) as client:
                response = client.post("/hbwidget/w1/rename", json={"title": "renamed"})
                assert response.status_code == 200, framework
            for host in ("evil.example", "localhost", "example.test.evil.example"):
                with served.client(Host=host) as client:
                    assert client.post("/hbwidget/w1/rename").status_code == 400, host
                    assert client.post("/admin/login").status_code == 400, host
            assert title_of(served) == "renamed"
            assert "no allowed hosts are set" not in served.log_text()


def test_public_address_without_allowed_hosts_refuses_writes_and_says_why() -> None:
    address = public_address()
    for framework in FRAMEWORKS:
        if address is None and framework != "flask":
            # Werkzeug reports the bound address (0.0.0.0); uvicorn the one connected to.
            pytest.skip("this machine has no non-loopback address to connect through")
        with serve(framework, "0.0.0.0", address or "127.0.0.1") as served:
            assert title_of(served) == "first"  # reads still work
            with served.client() as client:
                response = client.post("/hbwidget/w1/rename", json={"title": "x"})
                assert response.status_code == 500, framework
                assert "NITRO_ALLOWED_HOSTS" in response.json()["error"]
                assert client.post("/hbwidget/w1/rename").status_code == 500
                assert client.post("/admin/login").status_code == 500
            errors = [
                line
                for line in served.log_text().splitlines()
                if "no allowed hosts are set" in line
            ]
            assert len(errors) == 2, errors  # once for the actions, once for the admin
            assert all("NITRO_ALLOWED_HOSTS=" in line for line in errors)
            assert all("allowed_hosts=[...]" in line for line in errors)
            assert title_of(served) == "first"


# -- item 3 (actions): NUL in parameters ---------------------------------------------


def test_nul_in_action_parameters_is_422_naming_them(local) -> None:
    with local.client() as client:
        response = client.post("/hbwidget/w1/rename", json={"title": "a\x00b"})
        assert response.status_code == 422
        assert response.json() == {
            "error": f"Invalid parameter title: {NUL_MESSAGE}",
            "errors": [{"parameter": "title", "message": NUL_MESSAGE, "type": "null_character"}],
        }
        assert client.post("/hbwidget/w1/rename?title=%00").status_code == 422
        nested = {"options": {"label": "ok", "tags": ["a", "b\x00"]}}
        response = client.post("/hbwidget/w1/configure", json=nested)
        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "options.tags.1"
        body = {"HbWidget": {"id": "w1"}, "title": "\x00"}
        response = client.post("/hbwidget/rename", json=body, headers=DATASTAR)
        assert response.status_code == 200  # Datastar drops non-2xx bodies
        assert f'"_errors":{{"title":"{NUL_MESSAGE}"}}' in response.text
    assert title_of(local) == "first"
