"""User code written against the public nitro-sql API, checked by ``mypy --strict``.

Not collected by pytest (no ``test_`` prefix); ``tests/test_type_check.py`` runs mypy
on it. ``assert_type`` pins the inferred types.
"""

from __future__ import annotations

from typing import Any, assert_type

from sqlalchemy.sql.elements import ColumnElement

from nitro import Entity, Specification, action
from nitro.signals import SignalRef
from nitro.sql import Page, SQLEntity, SQLModelBackend, SQLQuery, UnitOfWork, col, configure


class Todo(SQLEntity, table=True):
    title: str
    done: bool = False

    @action(method="POST")
    def toggle(self) -> None:
        self.done = not self.done


class Note(Entity):
    text: str = ""
    _persistence_backend_class = SQLModelBackend


class Open(Specification[Todo]):
    def is_satisfied_by(self, candidate: Todo) -> bool:
        return not candidate.done

    def to_sql(self, model: type[Todo]) -> ColumnElement[bool]:
        return col(model.done).is_(False)  # col(): the column, typed for mypy


def use() -> None:
    configure(url="sqlite:///app.db")
    todo = Todo(title="milk")
    assert_type(todo.save(), bool)
    assert_type(todo.save(ttl=60), bool)
    assert_type(Todo.get(todo.id), Todo | None)
    assert_type(Todo.get_or_raise(todo.id), Todo)
    assert_type(Todo.all(), list[Todo])
    assert_type(Todo.filter(Open(), done=False), list[Todo])
    assert_type(Todo.search("mi", fields=["title"], sort="-title", limit=5), list[Todo])
    query = Todo.query().where(Todo.title == "milk").order_by("-title").limit(20)
    assert_type(query, SQLQuery[Todo])
    assert_type(query.all(), list[Todo])
    assert_type(query.first(), Todo | None)
    assert_type(query.count(), int)
    assert_type(query.paginate(1, 20), Page[Todo])
    assert_type(todo.signals, dict[str, dict[str, Any]])
    with UnitOfWork(todos=Todo) as uow:
        todo.save()
        Note(text="x").save()
        uow.commit()


async def ause() -> None:
    todo = await Todo.aget("x")
    assert_type(todo, Todo | None)
    assert_type(await Todo.aall(), list[Todo])
    assert_type(await Todo.query().acount(), int)
    async with UnitOfWork(todos=Todo) as uow:
        await uow.repo(Todo).save(Todo(title="y"))
        await uow.commit()


# Signal references on a SQLEntity (the nitro.mypy plugin, enabled in the root pyproject).
assert_type(Todo.title_signal, SignalRef)
assert_type(Note.text_signal, SignalRef)
misspelt = Todo.titel_signal  # type: ignore[attr-defined]  # no field "titel"


class Stock(SQLEntity, table=True, versioned=True):
    units: int = 0


assert_type(Stock(units=1).version, int)  # versioned=True, seen through nitro.mypy
