"""inlines.py: related rows edited on the parent's form, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from nitro_servers import serve_asgi

from nitro import Entity
from nitro.admin import Admin, AdminUser, Inline, PasswordAuth, hash_password

PASSWORD = "inline-pw"


class Rack(Entity):
    name: str


class Disc(Entity):
    title: str
    year: int
    rack_id: str = ""
    scratched: bool = False


def build_admin() -> Admin:
    admin = Admin(
        auth=PasswordAuth(
            [
                AdminUser("ann", hash_password(PASSWORD), is_superuser=True),
                AdminUser("ed", hash_password(PASSWORD), permissions={"rack.*", "disc.view"}),
            ]
        ),
        secret_key="i" * 40,
    )
    admin.register(
        Rack, inlines=[Inline(Disc, fk="rack_id", fields=["title", "year", "scratched"])]
    )
    admin.register(Disc, search_fields=["title"])
    return admin


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, build_admin())
    with serve_asgi(app) as url:
        yield url


@contextmanager
def logged_in(base_url: str, user: str = "ann") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = csrf(client.get("/admin/login").text)
        client.post(
            "/admin/login", data={"username": user, "password": PASSWORD, "csrf_token": token}
        )
        yield client


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with logged_in(base_url) as client:
        yield client


@pytest.fixture
def rack() -> Iterator[tuple[Rack, Disc, Disc]]:
    Rack.repository().clear()
    Disc.repository().clear()
    rack = Rack(name="Jazz")
    rack.save()
    first = Disc(title="Kind of Blue", year=1959, rack_id=rack.id)
    second = Disc(title="Blue Train", year=1957, rack_id=rack.id)
    first.save()
    second.save()
    Disc(title="Elsewhere", year=2000, rack_id="other").save()
    yield rack, first, second
    Rack.repository().clear()
    Disc.repository().clear()


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def post_data(token: str, rack: Rack, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {"csrf_token": token, "name": rack.name, "inline-disc-TOTAL": str(len(rows))}
    for index, row in enumerate(rows):
        data.update({f"inline-disc-{index}-{key}": value for key, value in row.items()})
    return data


def test_edit_page_shows_the_related_rows_and_a_blank_one(
    client: httpx.Client, rack: tuple[Rack, Disc, Disc]
) -> None:
    parent, _first, _second = rack
    page = client.get(f"/admin/rack/{parent.id}/edit").text
    assert 'id="inline-disc"' in page
    assert 'value="Kind of Blue"' in page
    assert 'value="Blue Train"' in page
    assert "Elsewhere" not in page
    assert 'name="inline-disc-TOTAL" value="3"' in page


def test_change_add_and_delete_rows_in_one_save(
    client: httpx.Client, rack: tuple[Rack, Disc, Disc]
) -> None:
    parent, first, second = rack
    token = csrf(client.get(f"/admin/rack/{parent.id}/edit").text)
    rows = [
        {"id": first.id, "title": "Kind of Blue (remaster)", "year": "1959", "scratched": "on"},
        {"id": second.id, "title": "Blue Train", "year": "1957", "DELETE": "1"},
        {"id": "", "title": "Giant Steps", "year": "1960"},
    ]
    response = client.post(f"/admin/rack/{parent.id}/edit", data=post_data(token, parent, rows))
    assert response.status_code == 303
    discs = {d.title: d for d in Disc.filter(rack_id=parent.id)}
    assert sorted(discs) == ["Giant Steps", "Kind of Blue (remaster)"]
    assert discs["Kind of Blue (remaster)"].scratched is True
    assert discs["Giant Steps"].year == 1960
    assert Disc.filter(rack_id="other")  # untouched


def test_an_error_in_one_row_saves_nothing(
    client: httpx.Client, rack: tuple[Rack, Disc, Disc]
) -> None:
    parent, first, _second = rack
    token = csrf(client.get(f"/admin/rack/{parent.id}/edit").text)
    data = post_data(
        token,
        parent,
        [
            {"id": first.id, "title": "Changed", "year": "1959"},
            {"id": "", "title": "Bad year", "year": "abc"},
        ],
    )
    data["name"] = "Renamed rack"
    response = client.post(f"/admin/rack/{parent.id}/edit", data=data)
    assert response.status_code == 422
    assert "unable to parse string as an integer" in response.text
    assert 'value="Bad year"' in response.text
    assert Rack.get(parent.id).name == "Jazz"  # type: ignore[union-attr]
    assert Disc.get(first.id).title == "Kind of Blue"  # type: ignore[union-attr]
    assert len(Disc.all()) == 3


def test_a_row_of_another_parent_is_refused(
    client: httpx.Client, rack: tuple[Rack, Disc, Disc]
) -> None:
    parent, _, _ = rack
    (foreign,) = Disc.filter(rack_id="other")
    token = csrf(client.get(f"/admin/rack/{parent.id}/edit").text)
    data = post_data(token, parent, [{"id": foreign.id, "title": "Stolen", "year": "1"}])
    response = client.post(f"/admin/rack/{parent.id}/edit", data=data)
    assert response.status_code == 422
    assert "does not belong here" in response.text
    assert Disc.get(foreign.id).title == "Elsewhere"  # type: ignore[union-attr]


def test_create_with_inline_rows(client: httpx.Client, rack: tuple[Rack, Disc, Disc]) -> None:
    token = csrf(client.get("/admin/rack/new").text)
    data = post_data(token, Rack(name="Rock"), [{"title": "Abbey Road", "year": "1969"}])
    response = client.post("/admin/rack/new", data=data)
    assert response.status_code == 303
    (new_rack,) = Rack.filter(name="Rock")
    (disc,) = Disc.filter(rack_id=new_rack.id)
    assert disc.title == "Abbey Road"


def test_inline_is_read_only_without_the_related_permissions(
    base_url: str, rack: tuple[Rack, Disc, Disc]
) -> None:
    parent, first, _ = rack
    with logged_in(base_url, "ed") as client:
        page = client.get(f"/admin/rack/{parent.id}/edit").text
        assert "Kind of Blue" in page
        assert "inline-disc-TOTAL" not in page
        data = post_data(csrf(page), parent, [{"id": first.id, "title": "X", "year": "1"}])
        assert client.post(f"/admin/rack/{parent.id}/edit", data=data).status_code == 303
        assert Disc.get(first.id).title == "Kind of Blue"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("inlines", "expected"),
    [
        (Inline(Disc, fk="rack_id"), ["admin.E035"]),
        ([Disc], ["admin.E035"]),
        ([Inline(Disc, fk="rack")], ["admin.E036"]),
        ([Inline(Disc, fk="rack_id", fields=["title", "year", "nope"])], ["admin.E037"]),
        ([Inline(Disc, fk="rack_id", fields=["title"])], ["admin.E038"]),
    ],
)
def test_inline_checks(inlines: object, expected: list[str]) -> None:
    admin = Admin(insecure_dev=True, secret_key="i" * 40)
    admin.register(Rack, inlines=inlines)
    assert [message.id for message in admin.check()] == expected
    assert Admin(insecure_dev=True, secret_key="i" * 40).check() == []
