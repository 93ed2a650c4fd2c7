"""The admin's answers to hostile input, against the admin served by a real server.

Every request here is one a browser would never send, or one that reaches a broken
backend: each must get a 4xx (or 503) with a clear message and no traceback, never a
500 or a dropped connection, and nothing may be saved or changed by it.

* U+0000 in a form field (add/edit, inline rows, relation pickers) or in the search
  box is refused with 422 and the message next to the field; nothing is saved. A row
  holding U+0000 already (saved directly) can still be listed, edited and deleted.
* Query-string numbers out of range (``?p=``, ``?year__gte=``) are 400 naming the
  parameter (SQLite raised ``OverflowError`` on them); a malformed ``datastar``
  parameter is 400.
* Sorting a ``SQLEntity`` list by a ``bool`` column and following "Next" works on
  SQLite and PostgreSQL (the keyset condition compared booleans with ``>=``).
* A storage that cannot be reached (Redis on a port nobody listens on) is 503.
* A user without the permission posting a bulk action, confirmed or not, gets 403.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi
from nitro_test_services import free_port
from pydantic import Field

from nitro import Entity
from nitro.admin import Admin, AdminUser, Inline, PasswordAuth, hash_password

sql = pytest.importorskip("nitro.sql")

PASSWORD = "pw-for-security-tests"
SECRET = "security-tests-secret-key-0123456789abcdef"
HUGE = "99999999999999999999999"
NUL_MESSAGE = "Null characters are not allowed."


class SecShelf(Entity):
    name: str = Field(min_length=1, max_length=80)


class SecGizmo(Entity):
    name: str = Field(min_length=1, max_length=80)
    code: str = ""
    year: int = 2000
    price: float = 1.0
    active: bool = True
    released: dt.date | None = None
    shelf_id: str | None = None


class SecFlag(sql.SQLEntity, table=True):
    __tablename__ = "sec_admin_flag"
    name: str
    active: bool = True
    year: int = 2000


class SecCache(Entity):
    name: str = ""


def explode(request: Any, entities: list[Any]) -> str:
    raise RuntimeError("secret internal detail 1c0ffee")


def mark_inactive(request: Any, entities: list[SecGizmo]) -> str:
    for gizmo in entities:
        gizmo.active = False
        gizmo.save()
    return "done"


USERS = [
    AdminUser("ann", hash_password(PASSWORD), is_superuser=True),
    AdminUser("viv", hash_password(PASSWORD), permissions={"secgizmo.view", "secshelf.view"}),
    AdminUser("ed", hash_password(PASSWORD), permissions={"secgizmo.view", "secgizmo.change"}),
]


def build_admin() -> Admin:
    admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET)
    admin.register(
        SecShelf,
        search_fields=["name"],
        inlines=[Inline(SecGizmo, fk="shelf_id", fields=["name", "year"])],
    )
    admin.register(
        SecGizmo,
        list_display=["name", "code", "year", "price", "active"],
        list_filter=["active", "year", "price", "released", "shelf_id"],
        search_fields=["name", "code"],
        relations={"shelf_id": SecShelf},
        list_per_page=3,
        actions=[mark_inactive, explode],
    )
    admin.register(
        SecFlag,
        list_display=["name", "active", "year"],
        list_filter=["year"],
        search_fields=["name"],
        list_per_page=2,
    )
    admin.register(SecCache, search_fields=["name"])
    return admin


def serve(admin: Admin) -> Any:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, admin)
    return serve_asgi(app)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(build_admin()) as url:
        yield url


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


@contextmanager
def login(base_url: str, username: str = "ann") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = csrf(client.get("/admin/login").text)
        response = client.post(
            "/admin/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303, response.text
        yield client


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with login(base_url) as client:
        yield client


@pytest.fixture
def gizmos() -> Iterator[list[SecGizmo]]:
    SecGizmo.repository().clear()
    SecShelf.repository().clear()
    shelf = SecShelf(name="Top shelf")
    shelf.save()
    made = [
        SecGizmo(name=f"Gizmo {i}", code=f"G{i}", year=2000 + i, shelf_id=shelf.id)
        for i in range(5)
    ]
    for gizmo in made:
        gizmo.save()
    yield made
    SecGizmo.repository().clear()
    SecShelf.repository().clear()


def assert_safe(response: httpx.Response, status: int, *needles: str) -> None:
    """*status*, the *needles* in the body, and nothing that leaks internals."""
    assert response.status_code == status, response.text[:2000]
    for needle in needles:
        assert needle in response.text, f"{needle!r} not in {response.text[:2000]}"
    for leak in ("Traceback", 'File "', "1c0ffee", "OverflowError", "sqlalchemy", "redis://"):
        assert leak not in response.text


def stored() -> list[tuple[str, str, int]]:
    return sorted((g.name, g.code, g.year) for g in SecGizmo.all())


def field_errors(page: str, field: str) -> str:
    match = re.search(rf'<ul class="errors" id="field-{field}-errors">(.*?)</ul>', page)
    assert match, f"no errors under the field {field!r}"
    return match.group(1)


# -- item 3: U+0000 at the admin's input boundaries ------------------------------------


def test_nul_in_a_form_field_is_422_next_to_the_field_and_nothing_is_saved(
    client: httpx.Client, gizmos: list[SecGizmo]
) -> None:
    before = stored()
    page = client.get("/admin/secgizmo/new").text
    response = client.post(
        "/admin/secgizmo/new",
        data={"csrf_token": csrf(page), "name": "bad\x00name", "code": "ok", "year": "1"},
    )
    assert_safe(response, 422, "nothing was saved")
    assert NUL_MESSAGE in field_errors(response.text, "name")
    assert "\x00" not in response.text  # what was typed comes back with U+FFFD

    target = gizmos[0]
    page = client.get(f"/admin/secgizmo/{target.id}/edit").text
    response = client.post(
        f"/admin/secgizmo/{target.id}/edit",
        data={"csrf_token": csrf(page), "name": "fine", "code": "x\x00", "year": "1"},
    )
    assert_safe(response, 422)
    assert NUL_MESSAGE in field_errors(response.text, "code")
    assert stored() == before


def test_nul_in_a_relation_picker_is_422_next_to_the_field(
    client: httpx.Client, gizmos: list[SecGizmo]
) -> None:
    before = stored()
    page = client.get("/admin/secgizmo/new").text
    response = client.post(
        "/admin/secgizmo/new",
        data={"csrf_token": csrf(page), "name": "n", "year": "1", "shelf_id": "\x00"},
    )
    assert_safe(response, 422)
    assert NUL_MESSAGE in field_errors(response.text, "shelf_id")
    assert stored() == before


def test_nul_in_an_inline_row_is_422_next_to_the_cell(
    client: httpx.Client, gizmos: list[SecGizmo]
) -> None:
    before = stored()
    shelf = SecShelf.all()[0]
    page = client.get(f"/admin/secshelf/{shelf.id}/edit").text
    response = client.post(
        f"/admin/secshelf/{shelf.id}/edit",
        data={
            "csrf_token": csrf(page),
            "name": "Renamed shelf",
            "inline-secgizmo-TOTAL": "1",
            "inline-secgizmo-0-id": "",
            "inline-secgizmo-0-name": "new\x00row",
            "inline-secgizmo-0-year": "2020",
        },
    )
    assert_safe(response, 422, "nothing was saved")
    cell = re.search(r'<td class="invalid">(.*?)</td>', response.text)
    assert cell
    assert NUL_MESSAGE in cell.group(1)
    assert stored() == before
    assert SecShelf.get(shelf.id).name == "Top shelf"  # type: ignore[union-attr]


def test_nul_in_the_search_box_is_422_next_to_the_box(
    client: httpx.Client, gizmos: list[SecGizmo]
) -> None:
    response = client.get("/admin/secgizmo", params={"q": "giz\x00mo"})
    assert_safe(response, 422, NUL_MESSAGE)
    assert 'id="search-errors"' in response.text
    assert "\x00" not in response.text
    # The live search (Datastar drops the body of a non-2xx answer, so the message
    # arrives in a 200 event stream, in place of the results).
    response = client.get(
        "/admin/secgizmo/_results",
        params={"datastar": '{"q": "giz\\u0000mo"}'},
        headers={"Datastar-Request": "true"},
    )
    assert_safe(response, 200, NUL_MESSAGE)
    assert response.text.startswith("event: datastar-patch-elements\n")
    # The relation picker's search box, likewise.
    response = client.get(
        "/admin/secshelf/_lookup",
        params={"field": "shelf_id", "datastar": '{"pk_shelf_id": {"q": "to\\u0000p"}}'},
        headers={"Datastar-Request": "true"},
    )
    assert_safe(response, 200, NUL_MESSAGE)


def test_nul_in_ids_and_filters_is_refused_without_touching_storage(
    client: httpx.Client, gizmos: list[SecGizmo]
) -> None:
    assert_safe(client.get("/admin/secgizmo/%00/edit"), 404)
    assert_safe(client.get("/admin/secgizmo", params={"shelf_id": "\x00"}), 400, NUL_MESSAGE)
    # A bulk action over "all rows matching" a search the admin refused must not run
    # on every row instead.
    token = csrf(client.get("/admin/secgizmo").text)
    response = client.post(
        "/admin/secgizmo/_action",
        data={
            "csrf_token": token,
            "action": "mark_inactive",
            "select_across": "1",
            "query": "q=giz%00mo",
            "confirm": "yes",
        },
    )
    assert_safe(response, 422, NUL_MESSAGE)
    assert all(g.active for g in SecGizmo.all())


def test_a_row_already_holding_nul_can_be_listed_edited_and_deleted(
    client: httpx.Client, gizmos: list[SecGizmo]
) -> None:
    # Saved directly through the repository, bypassing the admin's checks. Rendering
    # replaces U+0000 with U+FFFD (rusty_tags), so every page of the row still works.
    bad = SecGizmo(name="bad\x00row", code="c\x00", year=1)
    SecGizmo.repository().save(bad)
    listing = client.get("/admin/secgizmo", params={"o": "year"})
    assert_safe(listing, 200, "bad\ufffdrow")
    edit = client.get(f"/admin/secgizmo/{bad.id}/edit")
    assert_safe(edit, 200, "bad\ufffdrow")
    # Saving the form as shown (with U+FFFD) repairs the row.
    response = client.post(
        f"/admin/secgizmo/{bad.id}/edit",
        data={
            "csrf_token": csrf(edit.text),
            "name": "bad\ufffdrow",
            "code": "c",
            "year": "1",
            "price": "1.0",
        },
    )
    assert response.status_code == 303, response.text
    assert SecGizmo.get(bad.id).name == "bad\ufffdrow"  # type: ignore[union-attr]
    SecGizmo.repository().save(bad)  # broken again, then deleted from the admin
    page = client.get(f"/admin/secgizmo/{bad.id}/delete")
    assert_safe(page, 200, "bad\ufffdrow")
    response = client.post(f"/admin/secgizmo/{bad.id}/delete", data={"csrf_token": csrf(page.text)})
    assert response.status_code == 303
    assert SecGizmo.get(bad.id) is None


# -- item 7: query-string values, malformed Datastar signals ----------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"p": "99999999999999999999"}, "p"),
        ({"p": "0"}, "p"),
        ({"p": "abc"}, "p"),
        ({"year__gte": HUGE}, "year__gte"),
        ({"year__lte": "-" + HUGE}, "year__lte"),
        ({"price__gte": "1e999"}, "price__gte"),
        ({"price__lte": "nan"}, "price__lte"),
        ({"released__gte": "99999-01-01"}, "released__gte"),
        ({"year__gte": "abc"}, "year__gte"),
        ({"active": "maybe"}, "active"),
    ],
)
def test_bad_numbers_in_the_query_string_are_400_naming_the_parameter(
    client: httpx.Client, gizmos: list[SecGizmo], query: dict[str, str], parameter: str
) -> None:
    response = client.get("/admin/secgizmo", params=query)
    assert_safe(response, 400, f"({parameter})")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[httpx.Client]:
    """The admin on SecFlag rows in a real SQLite file, then a real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'security.db'}"
    else:
        url = request.getfixturevalue("postgres_server").url
    with sql.use_database(url) as database:
        drop(database)
        for index in range(7):
            SecFlag(name=f"Flag {index}", active=index % 3 != 0, year=2000 + index).save()
        with serve(build_admin()) as base, login(base) as client:
            yield client
        drop(database)
        database.dispose()


def drop(database: Any) -> None:
    SecFlag.__table__.drop(database.engine, checkfirst=True)  # type: ignore[attr-defined]
    database.forget_tables()


def flag_names(page: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/secflag/[^"]+/edit">([^<]*)</a>', page)


@pytest.mark.parametrize("order", ["active", "-active"])
def test_sorting_by_a_bool_column_and_following_next(
    sql_site: httpx.Client, order: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nitro.sql")
    seen, url, pages = [], f"/admin/secflag?o={order}", 0
    while url:
        response = sql_site.get(url.replace("&amp;", "&"))
        assert_safe(response, 200)
        seen.extend(flag_names(response.text))
        pages += 1
        if pages > 1:
            assert "after=" in url  # the keyset cursor, not OFFSET
        match = re.search(r'href="([^"]+)"[^>]*id="next-page"', response.text)
        url = match.group(1) if match else ""
    by_offset = []
    for number in range(1, pages + 1):
        by_offset.extend(flag_names(sql_site.get(f"/admin/secflag?o={order}&p={number}").text))
    assert seen == by_offset
    assert sorted(seen) == [f"Flag {i}" for i in range(7)]
    flags = {f.name: f.active for f in SecFlag.all()}
    values = [flags[name] for name in seen]
    assert values == sorted(values, reverse=order.startswith("-"))
    assert "in memory" not in caplog.text  # the cursor ran in SQL


def test_sql_overflow_and_nul_are_4xx(
    sql_site: httpx.Client, request: pytest.FixtureRequest
) -> None:
    assert_safe(sql_site.get("/admin/secflag", params={"p": "99999999999999999999"}), 400, "(p)")
    response = sql_site.get("/admin/secflag", params={"year__gte": HUGE})
    assert_safe(response, 400, "(year__gte)")
    # Inside 64 bits but beyond PostgreSQL's 32-bit INTEGER column: nitro-sql turns
    # the driver's refusal into InvalidQuery, which the admin answers with 400.
    response = sql_site.get("/admin/secflag", params={"year__lte": "3000000000"})
    if request.node.callspec.params["sql_site"] == "postgresql":
        assert_safe(response, 400, "out of range")
    else:
        assert_safe(response, 200, "Flag 6")
    response = sql_site.get(
        "/admin/secflag", params={"o": "year", "p": "2", "after": HUGE, "after_id": "x"}
    )
    assert_safe(response, 200)  # a forged cursor is ignored (documented)
    response = sql_site.get("/admin/secflag", params={"q": "fl\x00ag"})
    assert_safe(response, 422, NUL_MESSAGE)
    assert_safe(sql_site.get("/admin/secflag/%00/edit"), 404)
    edit = sql_site.get("/admin/secflag/new")
    response = sql_site.post(
        "/admin/secflag/new", data={"csrf_token": csrf(edit.text), "name": "x", "year": HUGE}
    )
    assert_safe(response, 422, "nothing was saved")
    assert len(SecFlag.all()) == 7


@pytest.mark.parametrize("path", ["/admin/secgizmo/_results", "/admin/secshelf/_lookup"])
def test_malformed_datastar_signals_are_400(
    client: httpx.Client, gizmos: list[SecGizmo], path: str
) -> None:
    for raw in ("{", "[]", '"x"', "{" * 5000):
        response = client.get(
            path,
            params={"field": "shelf_id", "datastar": raw},
            headers={"Datastar-Request": "true"},
        )
        assert_safe(response, 400)
        assert "datastar" in response.text


def test_an_unexpected_error_is_a_generic_500_logged_never_sent(
    client: httpx.Client, gizmos: list[SecGizmo], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="nitro.admin")
    token = csrf(client.get("/admin/secgizmo").text)
    response = client.post(
        "/admin/secgizmo/_action",
        data={"csrf_token": token, "action": "explode", "ids": [gizmos[0].id], "confirm": "yes"},
    )
    assert_safe(response, 500, "the error was logged")
    assert "1c0ffee" in caplog.text


# -- item 7: storage unavailable ---------------------------------------------------------


@pytest.fixture
def redis_down(base_url: str) -> Iterator[httpx.Client]:
    """SecCache in a RedisRepo pointed at a port nobody listens on."""
    from nitro.persistence import use_backend
    from nitro.redis import RedisRepo

    dead = f"redis://127.0.0.1:{free_port()}/0"
    with use_backend(functools.partial(RedisRepo, url=dead), SecCache), login(base_url) as client:
        yield client


def test_an_unreachable_redis_is_503(redis_down: httpx.Client) -> None:
    client = redis_down
    message = "unavailable"
    assert_safe(client.get("/admin/secgizmo"), 200)  # other entities are unaffected
    assert_safe(client.get("/admin/seccache"), 503, message)
    assert_safe(client.get("/admin/seccache?q=x"), 503, message)
    assert_safe(client.get("/admin/seccache/some-id/edit"), 503, message)
    assert_safe(client.get("/admin/seccache/some-id/delete"), 503, message)
    response = client.get(
        "/admin/seccache/_results",
        params={"datastar": '{"q": "x"}'},
        headers={"Datastar-Request": "true"},
    )
    assert_safe(response, 503, message)
    token = csrf(client.get("/admin/seccache/new").text)
    assert_safe(client.post("/admin/seccache/new", data={"csrf_token": token}), 503, message)
    response = client.post("/admin/seccache/some-id/delete", data={"csrf_token": token})
    assert_safe(response, 503, message)
    response = client.post(
        "/admin/seccache/_action",
        data={"csrf_token": token, "action": "delete_selected", "ids": ["a"], "confirm": "yes"},
    )
    assert_safe(response, 503, message)


@pytest.mark.redis
def test_redis_up_works(redis_url: str, base_url: str) -> None:
    """The same pages with the real redis-server answer 200 (the 503 above is Redis')."""
    from nitro.persistence import use_backend
    from nitro.redis import RedisRepo

    with use_backend(functools.partial(RedisRepo, url=redis_url), SecCache):
        SecCache(name="cached").save()
        with login(base_url) as client:
            assert_safe(client.get("/admin/seccache"), 200, "cached")


# -- item 9: permissions on every state-changing view ------------------------------------


@pytest.mark.parametrize("confirm", ["yes", ""])
@pytest.mark.parametrize("action", ["delete_selected", "mark_inactive", "nope", ""])
def test_view_only_user_posting_a_bulk_action_gets_403(
    base_url: str, gizmos: list[SecGizmo], action: str, confirm: str
) -> None:
    with login(base_url, "viv") as client:
        page = client.get("/admin/secgizmo").text
        assert "delete_selected" not in page
        data = {"csrf_token": csrf(page), "action": action, "ids": [g.id for g in gizmos]}
        for extra in ({}, {"select_across": "1", "query": ""}):
            response = client.post(
                "/admin/secgizmo/_action", data={**data, **extra, "confirm": confirm}
            )
            assert_safe(response, 403, "permission")
    assert len(SecGizmo.all()) == len(gizmos)
    assert all(g.active for g in SecGizmo.all())


def test_user_lacking_a_permission_gets_403_on_every_state_changing_post(
    base_url: str, gizmos: list[SecGizmo]
) -> None:
    target = gizmos[0]
    before = stored()
    with login(base_url, "viv") as client:
        token = csrf(client.get("/admin/secgizmo").text)
        posts = [
            ("/admin/secgizmo/new", {"name": "x", "year": "1"}),
            (f"/admin/secgizmo/{target.id}/edit", {"name": "x", "year": "1"}),
            (f"/admin/secgizmo/{target.id}/delete", {}),
        ]
        for path, data in posts:
            assert_safe(client.post(path, data={"csrf_token": token, **data}), 403)
    with login(base_url, "ed") as client:  # view and change, but not delete
        token = csrf(client.get("/admin/secgizmo").text)
        response = client.post(
            "/admin/secgizmo/_action",
            data={
                "csrf_token": token,
                "action": "delete_selected",
                "ids": [target.id],
                "confirm": "yes",
            },
        )
        assert_safe(response, 403)
        assert_safe(
            client.post(f"/admin/secgizmo/{target.id}/delete", data={"csrf_token": token}), 403
        )
    assert stored() == before
