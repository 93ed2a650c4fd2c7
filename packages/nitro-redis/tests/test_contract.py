"""RedisRepo passes nitro-core's repository contract suite on a real redis-server."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import pytest

from nitro.persistence.base import BackendFactory
from nitro.persistence.testing import (
    ContractItem,
    ContractNote,
    ContractVersioned,
    RepositoryContract,
)
from nitro.redis import RedisRepo

pytestmark = pytest.mark.redis


class TestRedisRepoContract(RepositoryContract):
    @pytest.fixture
    def backend(self, redis_url: str) -> BackendFactory:
        return functools.partial(RedisRepo, url=redis_url)

    @pytest.fixture(autouse=True)
    async def _close_async_connections(self, _routed: None) -> AsyncIterator[None]:
        # redis.asyncio connections belong to this test's event loop: close them here.
        yield
        for cls in (ContractItem, ContractNote, ContractVersioned):
            await cls.repository().aclose()  # type: ignore[attr-defined]
