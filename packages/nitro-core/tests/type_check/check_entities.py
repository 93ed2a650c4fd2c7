"""User code written against the public entity API, checked by ``mypy --strict``.

Not collected by pytest (no ``test_`` prefix); ``tests/test_type_check.py`` runs mypy
on it. ``assert_type`` pins the inferred types, and every ``# type: ignore[...]``
asserts an error mypy must report (strict mode flags unused ignores).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_type

from nitro import Entity, MemoryRepo, Specification, event, on, post_save, use_backend
from nitro.persistence import EntityQuery, Query, Repository
from nitro.signals import SignalRef


class Todo(Entity):
    title: str
    done: bool = False

    def complete(self) -> bool:
        self.done = True
        return self.save()


class Open(Specification[Todo]):
    def is_satisfied_by(self, candidate: Todo) -> bool:
        return not candidate.done


todo = Todo(title="milk")
assert_type(todo.id, str)
assert_type(todo.save(), bool)
assert_type(todo.save(ttl=30), bool)
assert_type(todo.delete(), bool)
assert_type(todo.exists(), bool)
assert_type(Todo.get("id"), Todo | None)
assert_type(Todo.get_or_raise("id"), Todo)
assert_type(Todo.all(), list[Todo])
assert_type(Todo.filter(done=False), list[Todo])
assert_type(Todo.filter(Open() & ~Open()), list[Todo])
assert_type(Todo.repository(), Repository[Todo])
assert_type(Todo.repository().find(Query(limit=10)), list[Todo])
assert_type(Todo.query(), EntityQuery[Todo])
assert_type(Todo.query().where(done=False).order_by("-title").first(), Todo | None)
assert_type(Todo.query().count(), int)
assert_type(todo.signals, dict[str, dict[str, Any]])
assert_type(Todo.title_signal, SignalRef)  # with the nitro.mypy plugin (root pyproject)
misspelt = Todo.titel_signal  # type: ignore[attr-defined]  # no field "titel"
unknown = Todo.no_such_attribute  # type: ignore[attr-defined]
instance_ref = todo.title_signal  # type: ignore[attr-defined]  # only classes have them
assert_type(Open() | Open(), Specification[Todo])

Todo(title=3)  # type: ignore[arg-type]
Todo.get(42)  # type: ignore[arg-type]
todo.save(ttl="soon")  # type: ignore[arg-type]

order_placed = event("order.placed")


@on(order_placed, sender=Todo)
def handler(sender: Todo, **extra: object) -> None:
    pass


@on(post_save)
async def async_handler(sender: type[Entity], **extra: object) -> None:
    pass


assert_type(order_placed.send(todo), list[tuple[Callable[..., Any], Any]])


async def async_code() -> None:
    assert_type(await todo.asave(), bool)
    assert_type(await Todo.aget("id"), Todo | None)
    assert_type(await Todo.aall(), list[Todo])
    assert_type(await Todo.afilter(Open()), list[Todo])
    assert_type(await Todo.query().aall(), list[Todo])
    assert_type(await order_placed.asend(todo), list[tuple[Any, Any]])


class Pinned(Entity):
    _persistence_backend_class = MemoryRepo


with use_backend(MemoryRepo, Todo, Pinned):
    pass


def decorated_functions_keep_their_type() -> None:
    result = handler(todo)
    assert_type(result, None)


class Account(Entity, versioned=True):
    balance: int = 0


class Plain(Entity):
    balance: int = 0


assert_type(Account(balance=1).version, int)  # added by versioned=True (nitro.mypy)
unversioned = Plain().version  # type: ignore[attr-defined]  # not versioned: no such attribute
