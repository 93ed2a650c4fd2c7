"""examples/admin_crud/app.py runs as its README says and serves a working admin."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from nitro_examples import EXAMPLES, serve_example

EXAMPLE = EXAMPLES / "admin_crud" / "app.py"


def test_example_is_under_20_lines() -> None:
    lines = [line for line in EXAMPLE.read_text().splitlines() if line.strip()]
    assert len(lines) < 20


def test_example_serves_the_admin(tmp_path: Path) -> None:
    env = {"ADMIN_PASSWORD": "example-password"}
    with (
        serve_example("admin_crud", tmp_path, env) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        assert client.get("/admin/product").status_code == 303
        page = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        response = client.post(
            "/admin/login",
            data={"username": "admin", "password": "example-password", "csrf_token": token},
        )
        assert response.status_code == 303
        page = client.get("/admin/product/new").text  # login rotated the token
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        response = client.post(
            "/admin/product/new",
            data={"csrf_token": token, "name": "Teapot", "price": "12.5", "in_stock": "on"},
        )
        assert response.status_code == 303
        listing = client.get("/admin/product?q=tea&in_stock=true").text
        assert ">Teapot</a>" in listing
    assert f"{base}/admin  user: admin" in (tmp_path / "admin_crud.log").read_text()
