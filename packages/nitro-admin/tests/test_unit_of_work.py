"""Admin(unit_of_work=...): a form's entity and its inline rows are saved all or nothing.

On SQLite with nitro-sql's UnitOfWork (a real transaction), a row that the database
refuses (a unique constraint that Pydantic cannot see) leaves nothing saved: not the
parent's change, not the other rows. Without a unit, the same post saves part of it,
and the form says so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi

from nitro.admin import Admin, AdminUser, Inline, PasswordAuth, hash_password

sql = pytest.importorskip("nitro.sql")

PASSWORD = "uow-pw"


class Crate(sql.SQLEntity, table=True):
    name: str


class Record(sql.SQLEntity, table=True):
    title: str = sql.Field(sa_column_kwargs={"unique": True})
    crate_id: str = ""


def serve(unit_of_work: Any) -> Any:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    admin = Admin(
        auth=PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)]),
        secret_key="u" * 40,
        unit_of_work=unit_of_work,
    )
    admin.register(Crate, inlines=[Inline(Record, fk="crate_id", fields=["title"])])
    app = FastAPI()
    mount(app, admin)
    return serve_asgi(app)


@pytest.fixture
def database(tmp_path: Any) -> Iterator[None]:
    with sql.use_database(f"sqlite:///{tmp_path / 'uow.db'}"):
        yield


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def post_conflicting_change(base_url: str) -> tuple[httpx.Response, Crate]:
    crate = Crate(name="Jazz")
    crate.save()
    Record(title="Taken", crate_id="elsewhere").save()
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = csrf(client.get("/admin/login").text)
        client.post(
            "/admin/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}
        )
        token = csrf(client.get(f"/admin/crate/{crate.id}/edit").text)
        data = {
            "csrf_token": token,
            "name": "Renamed",
            "inline-record-TOTAL": "2",
            "inline-record-0-id": "",
            "inline-record-0-title": "Fresh",
            "inline-record-1-id": "",
            "inline-record-1-title": "Taken",  # the database's unique constraint refuses it
        }
        return client.post(f"/admin/crate/{crate.id}/edit", data=data), crate


def test_with_a_unit_of_work_nothing_is_saved(
    database: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="nitro.admin")
    with serve(sql.UnitOfWork) as base_url:
        response, crate = post_conflicting_change(base_url)
    assert response.status_code == 422
    assert "refused by the storage; nothing was saved" in response.text
    assert Crate.get(crate.id).name == "Jazz"  # type: ignore[union-attr]
    assert sorted(r.title for r in Record.all()) == ["Taken"]


def test_without_a_unit_of_work_the_form_says_part_may_be_saved(
    database: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="nitro.admin")
    with serve(None) as base_url:
        response, crate = post_conflicting_change(base_url)
    assert response.status_code == 422
    assert "part of it may be saved" in response.text
    assert Crate.get(crate.id).name == "Renamed"  # type: ignore[union-attr]
