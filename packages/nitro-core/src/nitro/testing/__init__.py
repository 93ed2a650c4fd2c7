"""Support for testing Nitro apps against real services.

:mod:`nitro.testing.services` starts and stops throwaway servers (a ``redis-server``, a
PostgreSQL cluster) without pytest; ``nitro test`` uses it to run a project's tests
with the services its ``pyproject.toml`` names. Pytest helpers for repositories live in
:mod:`nitro.persistence.testing`.
"""

from nitro.testing.services import PostgresCluster as PostgresCluster
from nitro.testing.services import PostgresServer as PostgresServer
from nitro.testing.services import RedisServer as RedisServer
from nitro.testing.services import ServiceNotInstalled as ServiceNotInstalled
from nitro.testing.services import ServiceUnavailable as ServiceUnavailable
from nitro.testing.services import free_port as free_port
from nitro.testing.services import start_redis as start_redis
from nitro.testing.services import stop_process as stop_process
from nitro.testing.services import wait_for_port as wait_for_port
