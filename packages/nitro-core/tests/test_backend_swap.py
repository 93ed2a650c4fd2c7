"""One entity, two genuinely different backends: swapping changes nothing.

``JsonFileRepo`` keeps each entity class in its own JSON file and serialises entities
through pydantic's JSON mode, so it shares no storage and no copying code with
MemoryRepo. It runs the contract suite too, which shows the suite is backend-neutral
and that the async twins of the base class (a worker thread) work.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from nitro import Entity, MemoryRepo, Specification, set_default_backend, use_backend
from nitro.persistence import BackendUnavailable, Query, Repository, check_ttl
from nitro.persistence.testing import RepositoryContract
from nitro.persistence.versioning import VERSION_FIELD, accepts, conflict, is_versioned, mark_saved


class JsonFileRepo(Repository[Any]):
    """Entities as JSON in ``<directory>/<ClassName>.json``; wall-clock TTL."""

    _locks: ClassVar[dict[Path, threading.Lock]] = {}

    def __init__(self, entity_cls: type[Any], directory: Path) -> None:
        super().__init__(entity_cls)
        self.path = Path(directory) / f"{entity_cls.__name__}.json"
        self._lock = self._locks.setdefault(self.path, threading.Lock())

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            if not self.path.parent.is_dir():
                raise BackendUnavailable(f"directory {self.path.parent} is gone") from None
            return {}
        rows: dict[str, Any] = json.loads(text)
        now = time.time()
        return {k: v for k, v in rows.items() if v["expires"] is None or v["expires"] > now}

    def _write(self, rows: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows))
        tmp.replace(self.path)

    def save(self, entity: Any, ttl: float | None = None) -> bool:
        self.check_entity(entity)
        ttl = check_ttl(ttl)
        data = entity.model_dump(mode="json")
        versioned = is_versioned(self.entity_cls)
        with self._lock:
            rows = self._read()
            if versioned:  # optimistic concurrency: compare and set under the lock
                stored = rows.get(entity.id)
                found = None if stored is None else stored["data"].get(VERSION_FIELD, 0)
                if not accepts(entity.version, found):
                    raise conflict(self.entity_cls, entity.id, entity.version, found)
                data[VERSION_FIELD] = entity.version + 1
            rows[entity.id] = {"data": data, "expires": None if ttl is None else time.time() + ttl}
            self._write(rows)
        if versioned:
            mark_saved(entity, data[VERSION_FIELD])
        return True

    def get(self, entity_id: str) -> Any:
        self.check_id(entity_id)
        with self._lock:
            row = self._read().get(entity_id)
        return None if row is None else self.entity_cls.model_validate(row["data"])

    def delete(self, entity_id: str) -> bool:
        self.check_id(entity_id)
        with self._lock:
            rows = self._read()
            found = rows.pop(entity_id, None) is not None
            self._write(rows)
        return found

    def find(self, query: Query) -> list[Any]:
        query.check_fields(self.entity_cls)
        with self._lock:
            rows = self._read()
        return query.apply(self.entity_cls.model_validate(r["data"]) for r in rows.values())

    def clear(self) -> None:
        with self._lock:
            self.path.unlink(missing_ok=True)


class TestJsonFileRepoContract(RepositoryContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> functools.partial[JsonFileRepo]:
        return functools.partial(JsonFileRepo, directory=tmp_path)


# -- one entity, parametrized over backends ---------------------------------------------


class Todo(Entity):
    title: str
    done: bool = False

    def complete(self) -> None:
        self.done = True
        self.save()


class Open(Specification[Todo]):
    def is_satisfied_by(self, candidate: Todo) -> bool:
        return not candidate.done


@pytest.fixture(params=["memory", "jsonfile"])
def todo_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    backend: Any = (
        MemoryRepo
        if request.param == "memory"
        else functools.partial(JsonFileRepo, directory=tmp_path)
    )
    Todo._persistence_backend_class = backend  # the one-line swap
    Todo.repository().clear()
    try:
        yield request.param
    finally:
        Todo.repository().clear()
        del Todo._persistence_backend_class


def test_swap_routes_to_the_chosen_backend(todo_backend: str) -> None:
    expected = MemoryRepo if todo_backend == "memory" else JsonFileRepo
    assert type(Todo.repository()) is expected


def test_todo_list_works_the_same_on_every_backend(todo_backend: str) -> None:
    milk, bread, eggs = Todo(title="milk"), Todo(title="bread"), Todo(title="eggs")
    for todo in (milk, bread, eggs):
        assert todo.save() is True
    bread.complete()
    assert Todo.get(bread.id).done is True
    assert [t.title for t in Todo.all()] == ["milk", "bread", "eggs"]
    assert Todo.filter(done=False) == [milk, eggs]
    assert Todo.filter(Open()) == [milk, eggs]
    assert Todo.filter(~Open()) == [bread]
    assert Todo.query().where(Open()).count() == 2
    assert eggs.delete() is True
    assert Todo.filter(Open()) == [milk]
    assert Todo.get(eggs.id) is None


async def test_async_todo_list_works_the_same_on_every_backend(todo_backend: str) -> None:
    todo = Todo(title="async")
    await todo.asave()
    assert await Todo.aget(todo.id) == todo
    assert await Todo.afilter(done=False) == [todo]
    assert await todo.adelete() is True
    assert await Todo.aall() == []


def test_backends_do_not_share_storage(tmp_path: Path) -> None:
    todo = Todo(title="only in memory")
    try:
        Todo._persistence_backend_class = MemoryRepo
        todo.save()
        Todo._persistence_backend_class = functools.partial(JsonFileRepo, directory=tmp_path)
        assert Todo.get(todo.id) is None
        Todo._persistence_backend_class = MemoryRepo
        assert Todo.get(todo.id) == todo
    finally:
        Todo.repository().clear()
        del Todo._persistence_backend_class


def test_backend_unavailable_surfaces_as_a_typed_error(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    with (
        use_backend(functools.partial(JsonFileRepo, directory=gone), Todo),
        pytest.raises(BackendUnavailable, match="is gone"),
    ):
        Todo.all()


# -- choosing backends: class attribute, app-wide default, per-test override ---------


def test_app_wide_default_applies_to_classes_without_their_own(tmp_path: Path) -> None:
    class Plain(Entity):
        pass

    class Pinned(Entity):
        _persistence_backend_class = MemoryRepo

    set_default_backend(functools.partial(JsonFileRepo, directory=tmp_path))
    try:
        assert type(Plain.repository()) is JsonFileRepo
        assert type(Pinned.repository()) is MemoryRepo
        assert type(Todo.repository()) is JsonFileRepo
    finally:
        set_default_backend(None)
    assert type(Plain.repository()) is MemoryRepo


def test_subclasses_inherit_the_backend_of_their_base(tmp_path: Path) -> None:
    class Base(Entity):
        _persistence_backend_class = functools.partial(JsonFileRepo, directory=tmp_path)

    class Child(Base):
        pass

    assert type(Child.repository()) is JsonFileRepo


def test_use_backend_overrides_even_a_pinned_class_and_nests(tmp_path: Path) -> None:
    class Pinned(Entity):
        _persistence_backend_class = functools.partial(JsonFileRepo, directory=tmp_path)

    class Other(Entity):
        pass

    with use_backend(MemoryRepo):
        assert type(Pinned.repository()) is MemoryRepo
        with use_backend(functools.partial(JsonFileRepo, directory=tmp_path), Other):
            assert type(Other.repository()) is JsonFileRepo
            assert type(Pinned.repository()) is MemoryRepo
        assert type(Other.repository()) is MemoryRepo
    assert type(Pinned.repository()) is JsonFileRepo


def test_use_backend_reaches_threads_started_inside_it() -> None:
    store_repo: list[Any] = []
    with use_backend(functools.partial(JsonFileRepo, directory=Path("/nonexistent")), Todo):
        thread = threading.Thread(target=lambda: store_repo.append(Todo.repository()))
        thread.start()
        thread.join()
    assert type(store_repo[0]) is JsonFileRepo


def test_repositories_are_shared_per_class() -> None:
    assert Todo.repository() is Todo.repository()


def test_a_backend_that_returns_no_repository_is_reported() -> None:
    class Broken(Entity):
        _persistence_backend_class = str  # type: ignore[assignment]

    with pytest.raises(TypeError, match=r"backend 'str' of Broken returned str, not a nitro"):
        Broken.repository()


def test_bad_backend_arguments_are_rejected() -> None:
    with pytest.raises(TypeError, match="set_default_backend"):
        set_default_backend("memory")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="use_backend"), use_backend(42):  # type: ignore[arg-type]
        pass


async def test_async_twins_of_a_sync_backend_run_in_a_worker_thread(tmp_path: Path) -> None:
    calls: list[int] = []

    class RecordingRepo(JsonFileRepo):
        def save(self, entity: Any, ttl: float | None = None) -> bool:
            calls.append(threading.get_ident())
            return super().save(entity, ttl)

        def get(self, entity_id: str) -> Any:
            calls.append(threading.get_ident())
            return super().get(entity_id)

    with use_backend(functools.partial(RecordingRepo, directory=tmp_path), Todo):
        todo = Todo(title="threaded")
        await todo.asave()
        assert await Todo.aget(todo.id) == todo
    loop_thread = threading.get_ident()
    assert len(calls) == 2
    assert loop_thread not in calls  # the event loop's thread never blocked on I/O
