"""A project made by ``nitro init --admin``, grown by ``nitro generate entity`` and
migrated by ``nitro migrate``, served by ``nitro dev``: the development user it prints
logs in to the admin in headless Chromium, which lists the new entity."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nitro_dev_server import NITRO, nitro_dev
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def nitro(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(NITRO), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_generated_entity_is_listed_in_the_admin(tmp_path: Path, chromium) -> None:
    nitro(tmp_path, "init", "shop", "--framework", "fastapi", "--storage", "sqlite", "--admin")
    project = tmp_path / "shop"
    nitro(project, "generate", "entity", "Product", "name:str", "price:float", "stock:int=0")
    assert "admin.register(Product)" in (project / "admin.py").read_text()
    database = {"NITRO_DATABASE_URL": f"sqlite:///{project / 'app.db'}"}
    assert "add product" in nitro(project, "migrate", env=database)

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "6 passed" in tests.stdout  # the app's 3, the admin's 2, the new entity's 1

    env = {k: v for k, v in os.environ.items() if not k.startswith("NITRO_ADMIN_")}
    with nitro_dev(project, {**env, **database}) as server:
        found = server.wait_for_line(r"Admin: (\S+)  user: (\S+)  password: (\S+)")
        admin_url, username, password = found.groups()
        assert admin_url == f"{server.base}/admin/"
        server.wait_for_line(r"Application startup complete")

        page = chromium.new_page()
        try:
            page.goto(admin_url)
            expect(page).to_have_url(re.compile(r"/admin/login"))
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name=re.compile("log in", re.I)).click()
            products = page.get_by_role("link", name=re.compile(r"^Products?$"))
            expect(products.first).to_be_visible()
            expect(page.get_by_role("link", name=re.compile(r"^Notes?$")).first).to_be_visible()
            products.first.click()
            expect(page).to_have_url(re.compile(r"/admin/product$"))
        finally:
            page.close()
