"""The entity both endpoints of the benchmark serve: the counter of examples/counter."""

from nitro import Entity, action


class Counter(Entity):
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount


Counter(id="main").save()
