"""The same registration works for a MemoryRepo entity, a SQLEntity (SQLite) and an
entity stored by nitro-redis' RedisRepo (a real redis-server).

nitro-admin talks to both through nitro-core's repository protocol only; nitro-sql is
used here, in the tests, never by the package. On SQL, search and range filters must
run in the database (nitro-sql asks specifications for ``to_sql``): no warning about
in-memory evaluation may be logged.
"""

from __future__ import annotations

import enum
import functools
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi
from pydantic import Field

from nitro import Entity
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password

sql = pytest.importorskip("nitro.sql")

PASSWORD = "pw-for-tests"


class Kind(enum.Enum):
    BOOK = "book"
    GAME = "game"


class MemoryItem(Entity):
    name: str = Field(min_length=1, max_length=80)
    price: float = Field(default=1.0, gt=0)
    in_stock: bool = True
    kind: Kind = Kind.BOOK


class SqlItem(sql.SQLEntity, table=True):
    name: str = sql.Field(min_length=1, max_length=80)
    price: float = sql.Field(default=1.0, gt=0)
    in_stock: bool = True
    kind: Kind = Kind.BOOK


def register(admin: Admin, entity_cls: type[Any]) -> None:
    """One registration, used verbatim for both backends."""
    admin.register(
        entity_cls,
        slug="item",
        list_display=["name", "price", "in_stock", "kind"],
        list_filter=["in_stock", "kind", "price"],
        search_fields=["name"],
        ordering=["-price"],
        list_per_page=3,
        show_full_count=True,
    )


@pytest.fixture(params=["memory", "sql", pytest.param("redis", marks=pytest.mark.redis)])
def entity_cls(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[type[Any]]:
    if request.param == "memory":
        MemoryItem.repository().clear()
        yield MemoryItem
        MemoryItem.repository().clear()
    elif request.param == "redis":
        from nitro.persistence import use_backend
        from nitro.redis import RedisRepo

        url = request.getfixturevalue("redis_url")
        with use_backend(functools.partial(RedisRepo, url=url), MemoryItem):
            yield MemoryItem
    else:
        with sql.use_database(f"sqlite:///{tmp_path / 'admin.db'}"):
            yield SqlItem


@pytest.fixture
def client(entity_cls: type[Any]) -> Iterator[httpx.Client]:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    admin = Admin(
        auth=PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)]),
        secret_key="s" * 40,
    )
    register(admin, entity_cls)
    app = FastAPI()
    mount(app, admin)
    with serve_asgi(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        token = _csrf(client.get("/admin/login").text)
        client.post(
            "/admin/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}
        )
        yield client


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _names(page: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/item/[^"]+/edit">([^<]*)</a>', page)


def test_list_search_filter_sort_and_crud(
    entity_cls: type[Any], client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    for index in range(7):
        entity_cls(
            name=f"Item {index}",
            price=index + 1.0,
            in_stock=index % 2 == 0,
            kind=Kind.GAME if index % 3 == 0 else Kind.BOOK,
        ).save()
    caplog.set_level(logging.WARNING, logger="nitro.sql")

    page = client.get("/admin/item").text
    assert _names(page) == ["Item 6", "Item 5", "Item 4"]
    assert "Rows 1 to 3 of 7" in page
    assert _names(client.get("/admin/item?p=3").text) == ["Item 0"]
    assert _names(client.get("/admin/item?o=name").text) == ["Item 0", "Item 1", "Item 2"]
    assert _names(client.get("/admin/item?q=item+5").text) == ["Item 5"]
    page = client.get("/admin/item?in_stock=true&price__gte=2&price__lte=5").text
    assert _names(page) == ["Item 4", "Item 2"]
    assert _names(client.get("/admin/item?kind=game").text) == ["Item 6", "Item 3", "Item 0"]
    follow, url = [], "/admin/item?o=-price"
    while url:  # "Next" links seek (after=&after_id=) instead of using OFFSET
        page = client.get(url.replace("&amp;", "&")).text
        follow.extend(_names(page))
        match = re.search(r'href="([^"]+)"[^>]*id="next-page"', page)
        url = match.group(1) if match else ""
    assert follow == [f"Item {i}" for i in range(6, -1, -1)]
    back, link = [], re.search(r'href="([^"]+)"[^>]*id="prev-page"', page)
    url = link.group(1) if link else ""
    while url:  # "Previous" links seek backwards (before=&before_id=) too
        assert "before_id=" in url
        page = client.get(url.replace("&amp;", "&")).text
        back = _names(page) + back
        match = re.search(r'href="([^"]+)"[^>]*id="prev-page"', page)
        url = match.group(1) if match else ""
    assert back == [f"Item {i}" for i in range(6, 0, -1)]  # all but the last page's row
    assert not [r for r in caplog.records if "evaluated in memory" in r.getMessage()]

    token = _csrf(client.get("/admin/item/new").text)
    bad = client.post(
        "/admin/item/new", data={"csrf_token": token, "name": "", "price": "2", "kind": "book"}
    )
    assert bad.status_code == 422
    assert len(entity_cls.all()) == 7
    created = client.post(
        "/admin/item/new",
        data={"csrf_token": token, "name": "Fresh", "price": "2.5", "kind": "game"},
    )
    assert created.status_code == 303
    (fresh,) = [item for item in entity_cls.all() if item.name == "Fresh"]
    assert (fresh.price, fresh.in_stock, fresh.kind) == (2.5, False, Kind.GAME)

    edited = client.post(
        f"/admin/item/{fresh.id}/edit",
        data={
            "csrf_token": token,
            "name": "Fresher",
            "price": "3",
            "in_stock": "on",
            "kind": "book",
        },
    )
    assert edited.status_code == 303
    again = entity_cls.get(fresh.id)
    assert (again.name, again.price, again.in_stock, again.kind) == ("Fresher", 3, True, Kind.BOOK)

    deleted = client.post(f"/admin/item/{fresh.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert entity_cls.get(fresh.id) is None

    bulk = {
        "csrf_token": token,
        "action": "delete_selected",
        "select_across": "1",
        "query": "kind=game",
        "confirm": "yes",
    }
    assert client.post("/admin/item/_action", data=bulk).status_code == 303
    assert sorted(item.name for item in entity_cls.all()) == [
        "Item 1",
        "Item 2",
        "Item 4",
        "Item 5",
    ]
