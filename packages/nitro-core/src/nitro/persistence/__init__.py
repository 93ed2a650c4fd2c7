"""Persistence: the repository protocol, its errors, MemoryRepo and backend selection.

Backends (``MemoryRepo`` here, ``SQLModelBackend`` in nitro-sql, ``RedisRepo`` in
nitro-redis) subclass :class:`Repository`; :mod:`nitro.persistence.testing` holds the
contract suite each of them runs.
"""

from nitro.persistence.base import BackendFactory as BackendFactory
from nitro.persistence.base import EntityLike as EntityLike
from nitro.persistence.base import Repository as Repository
from nitro.persistence.entity_query import EntityQuery as EntityQuery
from nitro.persistence.errors import BackendUnavailable as BackendUnavailable
from nitro.persistence.errors import ConcurrencyError as ConcurrencyError
from nitro.persistence.errors import InvalidQuery as InvalidQuery
from nitro.persistence.errors import NotFound as NotFound
from nitro.persistence.errors import PersistenceError as PersistenceError
from nitro.persistence.errors import UnsupportedOperation as UnsupportedOperation
from nitro.persistence.locking import for_update as for_update
from nitro.persistence.locking import reading_for_update as reading_for_update
from nitro.persistence.memory import MemoryRepo as MemoryRepo
from nitro.persistence.memory import MemoryStore as MemoryStore
from nitro.persistence.query import Query as Query
from nitro.persistence.query import check_ttl as check_ttl
from nitro.persistence.registry import get_default_backend as get_default_backend
from nitro.persistence.registry import repository_for as repository_for
from nitro.persistence.registry import reset_repositories as reset_repositories
from nitro.persistence.registry import set_default_backend as set_default_backend
from nitro.persistence.registry import use_backend as use_backend

__all__ = [
    "BackendFactory",
    "BackendUnavailable",
    "ConcurrencyError",
    "EntityLike",
    "EntityQuery",
    "InvalidQuery",
    "MemoryRepo",
    "MemoryStore",
    "NotFound",
    "PersistenceError",
    "Query",
    "Repository",
    "UnsupportedOperation",
    "check_ttl",
    "for_update",
    "get_default_backend",
    "reading_for_update",
    "repository_for",
    "reset_repositories",
    "set_default_backend",
    "use_backend",
]
