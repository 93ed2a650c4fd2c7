"""``nitro routes module:app`` and ``nitro shell`` through the installed script: on the
three frameworks, Nitro's action routes with who may call them, live streams, and the
framework's other routes (the admin, health checks); a prompt with the entities."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

NITRO = Path(sys.executable).with_name("nitro")

ENTITY = """
from nitro import Entity, action
from nitro.health import Health


class Ticket(Entity):
    title: str = ""

    @action(method="POST", permission="tickets.close")
    def close(self) -> None: ...

    @action(method="GET")
    @classmethod
    def board(cls) -> list: return []
"""

APPS = {
    "fastapi": """
from fastapi import FastAPI
from nitro.adapters.fastapi import configure_app, mount
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password
app = FastAPI()
""",
    "flask": """
from flask import Flask
from nitro.adapters.flask import configure_app, mount
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password
app = Flask(__name__)
""",
    "fasthtml": """
from fasthtml.common import fast_app
from nitro.adapters.fasthtml import configure_app, mount
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password
app, rt = fast_app()
""",
}

WIRING = """
configure_app(app, entities=[Ticket])
mount(app, Health())
users = [AdminUser("admin", hash_password("pw"), is_superuser=True)]
admin = Admin(auth=PasswordAuth(users), secret_key="k" * 32)
admin.register(Ticket)
mount(app, admin)
"""


def nitro_routes(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NITRO), "routes", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("framework", list(APPS))
def test_routes_lists_actions_with_their_permission_streams_and_the_admin(
    framework: str, tmp_path: Path
) -> None:
    source = ENTITY + textwrap.dedent(APPS[framework]) + WIRING
    (tmp_path / "shop.py").write_text(source)
    done = nitro_routes(tmp_path, "shop:app")
    assert done.returncode == 0, done.stderr
    lines = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert lines[0] == "METHOD PATH SERVES WHO MAY CALL"
    assert "POST /ticket/{id}/close Ticket.close permission tickets.close" in lines
    assert "GET /ticket/board Ticket.board anyone" in lines
    assert "GET /_live/ticket/{id} live stream of Ticket anyone" in lines
    paths = {line.split()[1] for line in lines[1:]}
    assert {"/healthz", "/readyz"} <= paths
    assert any(path.startswith("/admin") for path in paths)


def test_routes_explains_what_it_could_not_load(tmp_path: Path) -> None:
    missing = nitro_routes(tmp_path, "nowhere:app")
    assert missing.returncode == 2
    assert "No module named 'nowhere'" in missing.stderr
    bad = nitro_routes(tmp_path, "nowhere")
    assert bad.returncode == 2
    assert "is not module:attribute" in bad.stderr
    (tmp_path / "empty.py").write_text("")
    absent = nitro_routes(tmp_path, "empty:app")
    assert absent.returncode == 2
    assert "app" in absent.stderr


def test_shell_starts_with_the_app_and_its_entities(tmp_path: Path) -> None:
    source = ENTITY + textwrap.dedent(APPS["fastapi"]) + WIRING
    (tmp_path / "shop.py").write_text(source)
    script = (
        'Ticket(id="t1", title="printer").save()\n'
        'print(Ticket.get("t1").title, type(app).__name__)\n'
    )
    done = subprocess.run(
        [str(NITRO), "shell", "shop:app"],
        cwd=tmp_path,
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Nitro shell for shop:app: " in done.stderr + done.stdout
    assert "Ticket" in (done.stderr + done.stdout).split("Nitro shell for shop:app: ")[1]
    assert "printer FastAPI" in done.stdout
    missing = subprocess.run(
        [str(NITRO), "shell", "nowhere:app"], cwd=tmp_path, capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert "No module named 'nowhere'" in missing.stderr
