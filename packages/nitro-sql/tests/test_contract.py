"""nitro-core's repository contract suite, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import functools

import pytest

from nitro.persistence.base import BackendFactory
from nitro.persistence.testing import RepositoryContract
from nitro.sql import SQLModelBackend


class TestSQLiteContract(RepositoryContract):
    @pytest.fixture
    def backend(self, sqlite_url: str) -> BackendFactory:
        return functools.partial(SQLModelBackend, url=sqlite_url)


@pytest.mark.postgres
class TestPostgresContract(RepositoryContract):
    @pytest.fixture
    def backend(self, postgres_url: str) -> BackendFactory:
        return functools.partial(SQLModelBackend, url=postgres_url)
