"""The counter of ``counter.py`` stored in SQLite (``NITRO_DATABASE_URL``): an action
whose request reads and writes a database, as most actions do."""

from nitro import Entity, action
from nitro.sql import SQLModelBackend


class Counter(Entity):
    _persistence_backend_class = SQLModelBackend
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount


if Counter.get("main") is None:
    Counter(id="main").save()
