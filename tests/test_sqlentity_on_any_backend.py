"""The one-line swap holds for SQLEntity: the same entity calls work on MemoryRepo and
RedisRepo (the generic query) and on SQL (pushed down); SQL-only calls name the
backend. Cross-package: nitro-sql entities on nitro-redis storage."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

import pytest

from nitro import MemoryRepo, Specification, use_backend
from nitro.persistence import MemoryStore, NotFound, UnsupportedOperation
from nitro.redis import RedisRepo
from nitro.sql import NoResult, SQLEntity, SQLModelBackend, use_database
from nitro.uow import MemoryUnitOfWork


class SwapPost(SQLEntity, table=True):
    __tablename__ = "swap_post"
    title: str
    views: int = 0
    score: float | None = None


class Popular(Specification[Any]):
    def is_satisfied_by(self, candidate: Any) -> bool:
        return bool(candidate.views >= 10)


@pytest.fixture(params=["memory", "redis", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "memory":
        factory: Any = functools.partial(MemoryRepo, store=MemoryStore())
    elif request.param == "redis":
        factory = functools.partial(RedisRepo, url=request.getfixturevalue("redis_url"))
    else:
        factory = SQLModelBackend
    with use_database(f"sqlite:///{tmp_path}/swap.db"), use_backend(factory, SwapPost):
        yield request.param
        SwapPost.repository().clear()


def test_the_entity_api_works_on_every_backend(backend: str) -> None:
    first = SwapPost(title="Hello world", views=3)
    second = SwapPost(title="Second", views=12)
    assert first.save()
    assert second.save()
    assert SwapPost.get(first.id) == first
    assert SwapPost.get_or_raise(second.id) == second
    with pytest.raises(NotFound):
        SwapPost.get_or_raise("missing")
    assert SwapPost.all() == [first, second]
    assert SwapPost.filter(views=12) == [second]
    assert SwapPost.filter(Popular()) == [second]
    assert SwapPost.search("hello") == [first]
    query = SwapPost.query().where(title="Second")
    assert query.all() == [second]
    assert query.count() == 1
    assert query.exists()
    assert SwapPost.query().order_by("-views").first() == second
    assert SwapPost.query().order_by("views").limit(1).offset(1).all() == [second]
    page = SwapPost.query().paginate(page=1, per_page=1)
    assert (page.items, page.total, page.pages) == ([first], 2, 2)
    with pytest.raises(NoResult):
        SwapPost.query().where(title="nothing").one()
    first.views = 4
    first.save()
    assert SwapPost.get(first.id).views == 4
    assert first.exists()
    assert first.delete() is True
    assert not first.exists()
    assert SwapPost.all() == [second]


async def test_async_twins_on_every_backend(backend: str) -> None:
    post = SwapPost(title="async")
    await post.asave()
    assert await SwapPost.aget(post.id) == post
    assert await SwapPost.aall() == [post]
    assert await SwapPost.afilter(title="async") == [post]
    assert await SwapPost.asearch("ASY") == [post]
    assert await post.adelete() is True
    if backend == "redis":
        await SwapPost.repository().aclose()  # type: ignore[attr-defined]  # before the loop ends


def test_signals_send_nan_as_null(backend: str) -> None:
    post = SwapPost(id="p1", title="t", score=math.nan)
    assert post.signals == {"SwapPost": {"id": "p1", "title": "t", "views": 0, "score": None}}


def test_a_memory_unit_keeps_nothing_uncommitted(backend: str) -> None:
    with MemoryUnitOfWork():
        SwapPost(title="dropped").save()
    assert SwapPost.all() == []


def test_sql_only_calls_name_the_backend(backend: str) -> None:
    if backend == "sqlite":
        SwapPost(title="x", views=5).save()
        assert [p.views for p in SwapPost.filter(SwapPost.views > 3)] == [5]  # pushed down
        assert "swap_post" in str(SwapPost.query().statement)
        return
    name = "MemoryRepo" if backend == "memory" else "RedisRepo"
    with pytest.raises(UnsupportedOperation, match=rf"join\(\) needs SQL.*{name}"):
        SwapPost.query().join(SwapPost)
    with pytest.raises(UnsupportedOperation, match=rf"eager\(\) needs SQL.*{name}"):
        SwapPost.query().eager("nothing")
    with pytest.raises(UnsupportedOperation, match="use field=value keywords"):
        SwapPost.filter(SwapPost.views > 3)
