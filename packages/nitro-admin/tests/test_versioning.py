"""views/form.py and optimistic concurrency: a versioned entity's form carries the
version it was opened at, and a save over someone else's change is refused (409)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from nitro_servers import serve_asgi

from nitro import Entity
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password

PASSWORD = "version-pw"
CONFLICT = "changed by someone else since you opened it"


class Contract(Entity, versioned=True):
    title: str
    amount: int = 0


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    admin = Admin(
        auth=PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)]),
        secret_key="v" * 40,
    )
    admin.register(Contract)
    app = FastAPI()
    mount(app, admin)
    with serve_asgi(app) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = csrf(client.get("/admin/login").text)
        client.post(
            "/admin/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}
        )
        yield client


@pytest.fixture
def contract() -> Iterator[Contract]:
    Contract.repository().clear()
    contract = Contract(title="Lease", amount=100)
    contract.save()
    yield contract
    Contract.repository().clear()


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def hidden_version(page: str) -> str:
    match = re.search(r'name="_version" value="([^"]*)"', page)
    assert match, "no hidden version field"
    return match.group(1)


def post_edit(client: httpx.Client, entity_id: str, page: str, **values: str) -> httpx.Response:
    data = {"csrf_token": csrf(page), "_version": hidden_version(page), **values}
    return client.post(f"/admin/contract/{entity_id}/edit", data=data)


def test_the_form_carries_the_version_and_does_not_edit_it(client, contract) -> None:
    page = client.get(f"/admin/contract/{contract.id}/edit").text
    assert hidden_version(page) == "1"
    assert 'name="version"' not in page  # shown read-only, never posted
    response = post_edit(client, contract.id, page, title="Lease 2", amount="120")
    assert response.status_code == 303
    stored = Contract.get_or_raise(contract.id)
    assert (stored.title, stored.amount, stored.version) == ("Lease 2", 120, 2)


def test_a_stale_form_is_409_with_the_message_and_overwrites_nothing(client, contract) -> None:
    page = client.get(f"/admin/contract/{contract.id}/edit").text  # opened at version 1
    other = Contract.get_or_raise(contract.id)  # meanwhile someone else saves
    other.amount = 150
    other.save()
    response = post_edit(client, contract.id, page, title="Mine", amount="999")
    assert response.status_code == 409
    assert CONFLICT in response.text
    assert 'value="Mine"' in response.text  # the user's values are kept on the form
    stored = Contract.get_or_raise(contract.id)
    assert (stored.title, stored.amount, stored.version) == ("Lease", 150, 2)
    # The re-shown form carries the current version: saving again is a deliberate choice.
    assert hidden_version(response.text) == "2"
    again = post_edit(client, contract.id, response.text, title="Mine", amount="999")
    assert again.status_code == 303
    assert Contract.get_or_raise(contract.id).title == "Mine"


def test_a_post_without_the_version_is_refused(client, contract) -> None:
    page = client.get(f"/admin/contract/{contract.id}/edit").text
    data = {"csrf_token": csrf(page), "title": "Blind", "amount": "1"}
    response = client.post(f"/admin/contract/{contract.id}/edit", data=data)
    assert response.status_code == 409
    assert CONFLICT in response.text
    assert Contract.get_or_raise(contract.id).title == "Lease"


def test_create_saves_version_one(client) -> None:
    Contract.repository().clear()
    page = client.get("/admin/contract/new").text
    assert 'name="_version"' not in page
    response = client.post(
        "/admin/contract/new", data={"csrf_token": csrf(page), "title": "New", "amount": "5"}
    )
    assert response.status_code == 303
    (created,) = Contract.all()
    assert (created.title, created.version) == ("New", 1)
    Contract.repository().clear()
