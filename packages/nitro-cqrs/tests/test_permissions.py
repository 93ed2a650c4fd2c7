"""Who may send a command or ask a query: ``@bus.handles(..., permission=, allow=)``,
checked against nitro.auth's current user, directly and through exposed routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nitro.actions import default_registry
from nitro.auth import (
    JWTAuth,
    NotAuthenticated,
    PermissionDenied,
    Role,
    User,
    acting_as,
    current_user,
)
from nitro.cqrs import Bus, Command, Event, Query
from nitro.cqrs.routes import expose

KEY = "p" * 40


class Refund(Command):
    order_id: str
    owner_id: str
    amount: int


class Balance(Query[int]):
    account: str


class Refunded(Event):
    order_id: str


def make_bus(done: list[str]) -> Bus:
    bus = Bus()

    @bus.handles(Refund, permission="order.refund", allow=lambda user, cmd: cmd.owner_id == user.id)
    def refund(cmd: Refund) -> str:
        done.append(cmd.order_id)
        return cmd.order_id

    @bus.handles(Balance, allow=lambda user: "finance" in user.role_names)
    def balance(query: Balance) -> int:
        return 42

    return bus


def test_the_bus_checks_the_current_user() -> None:
    done: list[str] = []
    bus = make_bus(done)
    refund = Refund(order_id="o1", owner_id="ann", amount=5)
    with pytest.raises(NotAuthenticated):
        bus.send(refund)
    with acting_as(User(id="ann")), pytest.raises(PermissionDenied):
        bus.send(refund)
    with acting_as(User(id="bob", permissions=["order.*"])), pytest.raises(PermissionDenied):
        bus.send(refund)  # the rule: not bob's order
    with acting_as(User(id="ann", permissions=["order.refund"])):
        assert bus.send(refund) == "o1"
    with acting_as(User(id="root", is_superuser=True)):
        assert bus.ask(Balance(account="x")) == 42
    assert done == ["o1"]


def test_guards_on_events_are_refused() -> None:
    with pytest.raises(TypeError, match="for commands and queries"):
        Bus().handles(Refunded, permission="order.refund")


@pytest.mark.asyncio
async def test_async_sends_keep_the_user() -> None:
    done: list[str] = []
    bus = make_bus(done)
    with acting_as(User(id="ann", permissions=["order.refund"])):
        assert await bus.asend(Refund(order_id="o2", owner_id="ann", amount=1)) == "o2"
    with pytest.raises(NotAuthenticated):
        await bus.asend(Refund(order_id="o3", owner_id="ann", amount=1))


def client_for(framework: str, holder: type, auth: Any) -> Any:
    if framework == "flask":
        from flask import Flask

        from nitro.adapters.flask import configure_app

        flask_app = Flask(__name__)
        configure_app(flask_app, entities=[holder], auth=auth)
        return flask_app.test_client()
    from starlette.testclient import TestClient

    if framework == "fastapi":
        from fastapi import FastAPI

        from nitro.adapters.fastapi import configure_app as configure_fastapi

        app: Any = FastAPI()
        configure_fastapi(app, entities=[holder], auth=auth)
    else:
        from fasthtml.common import FastHTML

        from nitro.adapters.fasthtml import configure_app as configure_fasthtml

        app = FastHTML()
        configure_fasthtml(app, entities=[holder], auth=auth)
    return TestClient(app)


@pytest.fixture(params=["fastapi", "flask", "fasthtml"])
def routes(request: pytest.FixtureRequest) -> Iterator[tuple[Any, JWTAuth, list[str]]]:
    done: list[str] = []
    auth = JWTAuth(KEY, algorithms=["HS256"])
    with default_registry.isolated():
        holder = expose(make_bus(done), Refund, Balance, name="money")
        yield client_for(request.param, holder, auth), auth, done


def test_exposed_routes_answer_401_403_and_run_for_the_owner(routes: Any) -> None:
    client, auth, done = routes
    body = {"order_id": "o1", "owner_id": "ann", "amount": 5}

    def post(token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post("/money/refund", json=body, headers=headers)

    assert post(None).status_code == 401
    assert post(auth.issue("ann")).status_code == 403
    assert post(auth.issue("bob", permissions=["order.refund"])).status_code == 403
    answer = post(auth.issue("ann", permissions=["order.refund"]))
    assert answer.status_code == 200
    assert done == ["o1"]
    finance = {"Authorization": f"Bearer {auth.issue('fin', roles=['finance'])}"}
    assert client.get("/money/balance?account=x", headers=finance).status_code == 200
    assert client.get("/money/balance?account=x").status_code == 401


def test_commands_and_jobs_are_named_in_the_audit_log() -> None:
    from nitro import Entity, audit
    from nitro.audit import AuditEntry
    from nitro.cqrs.jobs import configure_jobs, job

    class Ledger(Entity):
        total: int = 0

    class Post(Command):
        amount: int

    bus = Bus()

    @bus.handles(Post)
    def post(cmd: Post) -> None:
        ledger = Ledger.get("l") or Ledger(id="l")
        ledger.total += cmd.amount
        ledger.save()

    runners: list[tuple[str | None, bool]] = []

    @job(name="tests.audit.close_books")
    def close_books(total: int = 0) -> None:
        user = current_user()
        runners.append((user.id, user.has_perm("books.close")))
        ledger = Ledger.get_or_raise("l")
        ledger.total = total
        ledger.save()

    AuditEntry.repository().clear()
    audit.enable(Ledger)
    try:
        with acting_as(User(id="ann")):
            bus.send(Post(amount=5))
        engine = configure_jobs("inprocess://")
        close_books.enqueue()
        engine.drain()
        clerk = User(id="cleo", roles=[Role("clerk", {"books.*"})])
        with acting_as(clerk):  # the job runs as whoever enqueued it
            close_books.enqueue(total=7)
        engine.drain()
        entries = audit.history((Ledger, "l"))
        assert [(e.actor_id, e.via, e.changes["total"]) for e in entries] == [
            ("ann", "command Post", [None, 5]),
            (None, "job tests.audit.close_books", [5, 0]),
            ("cleo", "job tests.audit.close_books", [0, 7]),
        ]
        assert runners == [(None, False), ("cleo", True)]
        assert current_user().id is None  # nothing leaks out of the run
    finally:
        audit.disable()
        AuditEntry.repository().clear()
