"""The audit log: every change of an audited entity, with actor, path and field diff,
in the change's unit of work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import Field, SecretStr

from nitro import Entity, audit
from nitro.actions import action
from nitro.audit import AuditEntry
from nitro.auth import User, acting_as
from nitro.uow.memory import MemoryUnitOfWork


class Account(Entity):
    owner: str = ""
    balance: int = 0
    password_hash: str = ""
    pin: SecretStr = SecretStr("")
    note: str = Field("", json_schema_extra={"sensitive": True})

    @action
    def deposit(self, amount: int) -> None:
        self.balance += amount


class Untracked(Entity):
    value: int = 0


@pytest.fixture(autouse=True)
def log() -> Iterator[None]:
    AuditEntry.repository().clear()
    Account.repository().clear()
    audit.enable(Account)
    yield
    audit.disable()
    AuditEntry.repository().clear()


def test_create_update_delete_are_recorded_with_actor_and_diff() -> None:
    with acting_as(User(id="ann")):
        account = Account(id="a1", owner="ann", balance=5)
        account.save()
        account.balance = 7
        account.save()
        account.save()  # unchanged: nothing recorded
    account.delete()
    entries = audit.history(account)
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[0].changes["balance"] == [None, 5]
    assert entries[1].changes == {"balance": [5, 7]}
    assert (entries[1].actor_id, entries[1].actor_name, entries[1].via) == ("ann", "ann", "code")
    assert entries[2].actor_id is None  # anonymous
    assert entries[2].changes["owner"] == ["ann", None]


def test_secrets_never_reach_the_log() -> None:
    account = Account(id="a2", password_hash="scrypt$x", pin=SecretStr("1234"), note="vip")
    account.save()
    account.password_hash, account.pin, account.note = "scrypt$y", SecretStr("9999"), "x"
    account.save()
    text = " ".join(str(e.changes) for e in audit.history(account))
    for secret in ("scrypt$x", "scrypt$y", "1234", "9999", "vip"):
        assert secret not in text
    assert audit.history(account)[1].changes["password_hash"] == ["***", "***"]


def test_a_rolled_back_change_leaves_no_entry() -> None:
    Account(id="a3", balance=1).save()

    def change_then_fail() -> None:
        with MemoryUnitOfWork():
            account = Account.get_or_raise("a3")
            account.balance = 100
            account.save()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert Account.get_or_raise("a3").balance == 1
    assert [e.action for e in audit.history((Account, "a3"))] == ["create"]
    with MemoryUnitOfWork() as unit:
        account = Account.get_or_raise("a3")
        account.balance = 2
        account.save()
        unit.commit()
    assert [e.action for e in audit.history((Account, "a3"))] == ["create", "update"]


def test_classes_not_enabled_are_not_audited() -> None:
    Untracked(id="u", value=1).save()
    assert AuditEntry.filter(entity_id="u") == []


def test_changes_through_an_action_name_the_caller_and_the_action() -> None:
    from flask import Flask

    from nitro.adapters.flask import configure_app
    from nitro.auth import JWTAuth

    auth = JWTAuth("k" * 40, algorithms=["HS256"])
    app = Flask(__name__)
    configure_app(app, entities=[Account], auth=auth)
    Account(id="a4").save()
    answer = app.test_client().post(
        "/account/a4/deposit?amount=3",
        headers={"Authorization": f"Bearer {auth.issue('bob')}", "Origin": "http://localhost"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    last = audit.history((Account, "a4"))[-1]
    assert (last.actor_id, last.via, last.changes) == (
        "bob",
        "action Account.deposit",
        {"balance": [0, 3]},
    )
