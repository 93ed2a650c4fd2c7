"""The plugins nitro-core ships (``audit`` and ``auth`` in ``nitro.plugins``): found
through their entry points, idle until configured, and doing their job once the
environment says so, with no change to the app's code."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points

import httpx
import pytest
from nitro_servers import serve_asgi

from nitro import Entity, audit, plugins
from nitro.actions import action
from nitro.audit import AuditEntry
from nitro.auth import current_user

SECRET = "plugin-test-secret-0123456789-abcdefghij"
PASSWORD = "correct horse battery staple"


class Invoice(Entity):
    total: int = 0
    paid_by: str = ""

    @action(permission="invoice.pay")
    def pay(self) -> None:
        self.paid_by = str(current_user().id)


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NITRO_PLUGINS", raising=False)
    plugins.reset()
    yield
    audit.disable()
    plugins.reset()
    AuditEntry.repository().clear()
    Invoice.repository().clear()


def test_both_are_installed_entry_points() -> None:
    found = {ep.name: ep.value for ep in entry_points(group=plugins.ENTRY_POINT_GROUP)}
    assert found["audit"] == "nitro.audit.plugin:plugin"
    assert found["auth"] == "nitro.auth.plugin:plugin"


def test_unconfigured_they_change_nothing(
    fresh_plugins: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import configure_app

    for name in ("NITRO_AUDIT", "NITRO_JWT_SECRET", "NITRO_JWT_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    nitro = configure_app(FastAPI(), entities=[Invoice])
    assert {"audit", "auth"} <= set(plugins.loaded())
    assert nitro.dispatcher.auth is None
    Invoice(id="i1").save()
    assert AuditEntry.all() == []


def test_nitro_audit_turns_the_log_on_and_the_admin_lists_it(
    fresh_plugins: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount
    from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password

    monkeypatch.setenv("NITRO_AUDIT", f"{__name__}:Invoice")
    plugins.loaded()  # what configure_app or mount does first
    Invoice(id="i1", total=5).save()
    Invoice(id="i1", total=7).save()
    assert [e.changes["total"] for e in audit.history(Invoice(id="i1"))] == [[None, 5], [5, 7]]

    admin = Admin(
        auth=PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)]),
        secret_key=SECRET,
    )
    app = FastAPI()
    mount(app, admin)
    with serve_asgi(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        login = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token is not None
        client.post(
            "/admin/login",
            data={"username": "ann", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        page = client.get("/admin/audit")
        assert page.status_code == 200
        assert page.text.count("test_builtin_plugins.Invoice") == 2
        assert "UTC" in page.text  # times, not raw timestamps
        entry_id = AuditEntry.all()[0].id
        assert client.get(f"/admin/audit/{entry_id}/edit").status_code == 200
        assert client.get("/admin/audit/new").status_code == 403  # read-only


@pytest.mark.parametrize(
    ("setting", "message"),
    [("no_colon", "module:Class"), ("nitro:version_info_nope", "is not a class")],
)
def test_a_bad_nitro_audit_fails_naming_the_plugin(
    fresh_plugins: None, monkeypatch: pytest.MonkeyPatch, setting: str, message: str
) -> None:
    monkeypatch.setenv("NITRO_AUDIT", setting)
    with pytest.raises(plugins.PluginError, match=f"'audit'.*{message}"):
        plugins.loaded()


def test_nitro_jwt_secret_guards_an_app_that_passed_no_auth(
    fresh_plugins: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import configure_app

    monkeypatch.setenv("NITRO_JWT_SECRET", SECRET)
    monkeypatch.setenv("NITRO_JWT_AUDIENCE", "billing")
    app = FastAPI()
    configure_app(app, entities=[Invoice])
    Invoice(id="i1").save()
    minted = run_nitro(
        "auth",
        "token",
        "ann",
        "-p",
        "invoice.pay",
        env={"NITRO_JWT_SECRET": SECRET, "NITRO_JWT_AUDIENCE": "billing"},
    )
    weak = run_nitro(
        "auth", "token", "bob", env={"NITRO_JWT_SECRET": SECRET, "NITRO_JWT_AUDIENCE": "billing"}
    )
    with serve_asgi(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert client.post("/invoice/i1/pay").status_code == 401
        bob = client.post("/invoice/i1/pay", headers={"Authorization": f"Bearer {weak}"})
        assert bob.status_code == 403
        ann = client.post("/invoice/i1/pay", headers={"Authorization": f"Bearer {minted}"})
        assert ann.status_code == 200, ann.text
    assert Invoice.get("i1").paid_by == "ann"


def test_auth_passed_in_code_wins_over_the_environment(
    fresh_plugins: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import configure_app
    from nitro.auth import JWTAuth

    monkeypatch.setenv("NITRO_JWT_SECRET", SECRET)
    mine = JWTAuth("m" * 40, algorithms=["HS256"])
    nitro = configure_app(FastAPI(), entities=[Invoice], auth=mine)
    assert nitro.dispatcher.auth.authenticators == (mine,)


def test_hash_password_command_makes_a_hash_password_auth_accepts() -> None:
    from nitro.auth.passwords import verify_password

    done = subprocess.run(
        [sys.executable, "-m", "nitro.cli", "auth", "hash-password"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert verify_password(PASSWORD, done.stdout.strip())
    empty = subprocess.run(
        [sys.executable, "-m", "nitro.cli", "auth", "hash-password"],
        input="\n",
        capture_output=True,
        text=True,
    )
    assert empty.returncode == 1
    assert "empty password" in empty.stderr
    unset = subprocess.run(
        [sys.executable, "-m", "nitro.cli", "auth", "token", "ann"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert unset.returncode == 1
    assert "set NITRO_JWT_SECRET" in unset.stderr


def run_nitro(*args: str, env: dict[str, str]) -> str:
    import os

    done = subprocess.run(
        [sys.executable, "-m", "nitro.cli", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return done.stdout.strip()
