"""The bus's surface: registration, lookup errors, dependency injection, middleware,
class handlers, nesting and record()."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Protocol

import pydantic
import pytest

from nitro import Entity
from nitro.cqrs import (
    Bus,
    Command,
    Event,
    HandlerConflict,
    LogMessages,
    MissingDependency,
    Provide,
    Query,
    Retry,
    RetryOnConflict,
    Timing,
    UnknownMessage,
    bootstrap,
    record,
)
from nitro.persistence import ConcurrencyError, MemoryRepo
from nitro.persistence.registry import use_backend
from nitro.uow import MemoryUnitOfWork, UnitOfWork


class Note(Entity):
    text: str = ""


class Write(Command):
    note_id: str
    text: str


class Read(Query[str]):
    note_id: str


class Written(Event):
    note_id: str


class Mailer(Protocol):
    def send(self, text: str) -> None: ...


class ListMailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, text: str) -> None:
        self.sent.append(text)


@pytest.fixture(autouse=True)
def notes():
    with use_backend(MemoryRepo, Note):
        Note.repository().clear()
        yield


def test_messages_validate_name_the_field_and_are_immutable():
    with pytest.raises(pydantic.ValidationError, match="note_id"):
        Write(text="x")  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="extra"):
        Write(note_id="n", text="x", admin=True)  # type: ignore[call-arg]
    cmd = Write(note_id="n", text="x")
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        cmd.text = "y"  # type: ignore[misc]
    first, second = Written(note_id="n"), Written(note_id="n")
    assert first.id != second.id
    assert Written.model_validate_json(first.model_dump_json()) == first


def test_unknown_messages_name_themselves_and_what_is_registered():
    bus = Bus()
    bus.handles(Write)(lambda cmd: None)
    with pytest.raises(
        UnknownMessage, match=r"no handler is registered for Read .*registered querys: none"
    ):
        bus.ask(Read(note_id="n"))

    class Other(Command):
        pass

    with pytest.raises(UnknownMessage, match=r"Other .*registered commands: Write"):
        bus.send(Other())
    bus.publish(Written(note_id="n"))  # an event nobody listens to is fine


def test_a_command_has_exactly_one_handler():
    bus = Bus()

    @bus.handles(Write)
    def first(cmd: Write) -> None: ...

    with pytest.raises(HandlerConflict, match=r"already handled by .*first"):

        @bus.handles(Write)
        def second(cmd: Write) -> None: ...


def test_wrong_kinds_are_refused_with_the_right_verb():
    bus = Bus()
    with pytest.raises(TypeError, match="use publish"):
        bus.send(Written(note_id="n"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="use send"):
        bus.ask(Write(note_id="n", text=""))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Command, Query or Event subclass"):
        bus.handles(dict)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retry= is for event handlers"):
        bus.handles(Write, retry=Retry())


def test_dependencies_by_name_by_type_per_message_and_by_default():
    bus = Bus()
    made: list[int] = []
    seen: dict[str, Any] = {}

    @bus.handles(Write)
    def write(
        cmd: Write, uow: UnitOfWork, notifier: ListMailer, session: list, limit: int = 3
    ) -> str:
        seen.update(uow=uow, notifier=notifier, session=session, limit=limit)
        uow.repo(Note).save(Note(id=cmd.note_id, text=cmd.text))
        return cmd.note_id

    mailer = ListMailer()
    app = bootstrap(bus, mailer=mailer, session=Provide(lambda: made.append(1) or []))
    assert app.send(Write(note_id="n1", text="hello")) == "n1"
    app.send(Write(note_id="n2", text="again"))
    assert seen["notifier"] is mailer  # by type: the only ListMailer
    assert isinstance(seen["uow"], MemoryUnitOfWork)
    assert seen["limit"] == 3
    assert made == [1, 1]  # Provide: one per message
    assert Note.get_or_raise("n1").text == "hello"


def test_a_missing_dependency_fails_at_bootstrap_naming_it():
    bus = Bus()

    @bus.handles(Written)
    def notify(evt: Written, mailer: Mailer) -> None: ...

    with pytest.raises(MissingDependency, match=r"notify needs 'mailer' \(Mailer\).*given: clock"):
        bootstrap(bus, clock=object())
    bootstrap(bus, mailer=ListMailer())  # fine


def test_class_handlers_get_dependencies_in_init_and_handle():
    bus = Bus()

    @bus.handles(Write)
    class WriteHandler:
        def __init__(self, mailer: ListMailer) -> None:
            self.mailer = mailer

        def handle(self, cmd: Write, uow: Any) -> None:
            uow.repo(Note).save(Note(id=cmd.note_id, text=cmd.text))
            self.mailer.send(cmd.text)

    class ReadHandler:
        def handle(self, query: Read) -> str:
            return Note.get_or_raise(query.note_id).text

    bus.handles(Read, ReadHandler())
    mailer = ListMailer()
    app = bus.bootstrap(mailer=mailer)
    app.send(Write(note_id="n", text="hi"))
    assert app.ask(Read(note_id="n")) == "hi"
    assert mailer.sent == ["hi"]


def test_record_from_domain_code_waits_for_the_commit():
    bus = Bus()
    delivered: list[str] = []

    class Shouty(Entity):
        def shout(self) -> None:
            record(Written(note_id=self.id))  # domain code, no bus in sight

    @bus.handles(Write)
    def write(cmd: Write, uow: Any) -> None:
        Shouty(id=cmd.note_id).shout()
        assert cmd.note_id not in delivered  # not before the commit
        if cmd.text == "fail":
            raise RuntimeError("rolled back")

    bus.handles(Written)(lambda evt: delivered.append(evt.note_id))
    bus.send(Write(note_id="a", text="ok"))
    with pytest.raises(RuntimeError):
        bus.send(Write(note_id="b", text="fail"))
    assert delivered == ["a"]
    with pytest.raises(RuntimeError, match="outside a command"):
        record(Written(note_id="c"))


def test_a_command_sent_inside_another_commits_with_it():
    bus = Bus()
    delivered: list[str] = []

    @bus.handles(Write)
    def write(cmd: Write, uow: Any) -> None:
        uow.repo(Note).save(Note(id=cmd.note_id, text=cmd.text))
        bus.publish(Written(note_id=cmd.note_id))
        if cmd.note_id == "outer":
            bus.send(Write(note_id="inner", text="x"))
            assert delivered == []  # the inner command's event waits for the outer commit
            raise RuntimeError("outer fails")

    bus.handles(Written)(lambda evt: delivered.append(evt.note_id))
    with pytest.raises(RuntimeError, match="outer fails"):
        bus.send(Write(note_id="outer", text="x"))
    assert Note.get("inner") is None  # rolled back with the outer unit
    assert delivered == []


def test_middleware_wraps_every_message_in_order(caplog):
    calls: list[str] = []

    def outer(message: Any, call_next: Any) -> Any:
        calls.append(f"outer {type(message).__name__}")
        return call_next(message)

    timings: list[float] = []
    bus = Bus(middleware=[outer, LogMessages(), Timing(lambda m, s: timings.append(s))])
    bus.handles(Write)(lambda cmd: "done")
    bus.handles(Written)(lambda evt: None)
    with caplog.at_level(logging.INFO, logger="nitro.cqrs"):
        assert bus.send(Write(note_id="n", text="")) == "done"
        bus.publish(Written(note_id="n"))
    assert calls == ["outer Write", "outer Written"]
    assert len(timings) == 2
    assert re.search(r"handling Write \(command [0-9a-f]{32}\)", caplog.text)
    assert "handling Written (event " in caplog.text


def test_retry_on_conflict_reruns_the_whole_unit():
    tries: list[int] = []
    bus = Bus(middleware=[RetryOnConflict(attempts=3, backoff=0)])

    @bus.handles(Write)
    def write(cmd: Write, uow: Any) -> int:
        uow.repo(Note).save(Note(id=f"try{len(tries)}", text=cmd.text))
        tries.append(1)
        if len(tries) < 3:
            raise ConcurrencyError("lost the race")
        return len(tries)

    assert bus.send(Write(note_id="n", text="x")) == 3
    assert [n.id for n in Note.all()] == ["try2"]  # the failed tries kept nothing
    tries.clear()
    bus.middleware = [RetryOnConflict(attempts=2, backoff=0)]
    with pytest.raises(ConcurrencyError):
        bus.send(Write(note_id="n", text="x"))


def test_event_handler_retry_policy():
    bus = Bus()
    tries: list[int] = []

    @bus.handles(Written, retry=Retry(attempts=3, backoff=0, on=(ConnectionError,)))
    def flaky(evt: Written) -> None:
        tries.append(1)
        if len(tries) < 3:
            raise ConnectionError("down")

    assert bus.deliver(Written(note_id="n")) == []
    assert len(tries) == 3
    tries.clear()

    @bus.handles(Written, retry=Retry(attempts=5, backoff=0, on=(ConnectionError,)))
    def broken(evt: Written) -> None:
        raise KeyError("not retried")

    failures = bus.deliver(Written(note_id="n"))
    assert [f.handler.rsplit(".", 1)[-1] for f in failures] == ["broken"]


def test_async_handlers_need_the_async_verbs():
    bus = Bus()

    @bus.handles(Write)
    async def write(cmd: Write, uow: Any) -> str:
        await uow.repo(Note).save(Note(id=cmd.note_id, text=cmd.text))
        return "async"

    with pytest.raises(TypeError, match=r"await bus.asend"):
        bus.send(Write(note_id="n", text="x"))
    assert asyncio.run(bus.asend(Write(note_id="n", text="x"))) == "async"
    assert Note.get_or_raise("n").text == "x"


def test_a_query_asked_inside_a_command_reads_its_pending_writes():
    bus = Bus()

    @bus.handles(Write)
    def write(cmd: Write, uow: Any) -> str:
        uow.repo(Note).save(Note(id=cmd.note_id, text=cmd.text))
        return bus.ask(Read(note_id=cmd.note_id))

    bus.handles(Read)(lambda query: Note.get_or_raise(query.note_id).text)
    assert bus.send(Write(note_id="n", text="pending")) == "pending"


def test_a_handler_may_commit_itself():
    bus = Bus()
    delivered: list[str] = []

    @bus.handles(Write)
    def write(cmd: Write, uow: Any) -> None:
        uow.repo(Note).save(Note(id=cmd.note_id, text=cmd.text))
        bus.publish(Written(note_id=cmd.note_id))
        uow.commit()

    bus.handles(Written)(lambda evt: delivered.append(evt.note_id))
    bus.send(Write(note_id="n", text="x"))
    assert Note.get_or_raise("n").text == "x"
    assert delivered == ["n"]  # once
