"""Actions are collected at class definition; configure time turns them into routes."""

import pytest

from nitro import Entity
from nitro.actions import (
    ActionConfigurationError,
    ActionRegistry,
    action,
    build_action_app,
    default_registry,
)
from nitro.actions.decorator import ActionDescriptor


@pytest.fixture(autouse=True)
def forget_throwaway_classes():
    """Classes defined here must not leak into configure_app() of other tests."""
    before = set(default_registry.entities())
    yield
    for entity in set(default_registry.entities()) - before:
        default_registry.forget(entity)


def make_entity(name: str, registry: ActionRegistry, n_actions: int) -> type:
    """An entity class with ``n_actions`` actions, registered in ``registry``."""
    namespace: dict = {"__annotations__": {"value": int}, "value": 0}
    for index in range(n_actions):

        def body(self, amount: int = 1) -> None:
            self.value += amount

        body.__name__ = f"act{index}"
        namespace[body.__name__] = action(method="POST" if index % 2 else "PUT")(body)
    cls = type(name, (Entity,), namespace)
    for value in vars(cls).values():
        if isinstance(value, ActionDescriptor):
            registry.add(cls, value.info)
    return cls


def test_two_entities_twenty_actions_give_exactly_the_expected_routes():
    registry = ActionRegistry()
    alpha = make_entity("Alpha", registry, 12)
    beta = make_entity("Beta", registry, 8)
    routes = registry.routes([alpha, beta])
    listed = sorted(f"{r.method} {r.path}" for r in routes)
    expected = sorted(
        f"{'POST' if i % 2 else 'PUT'} /{entity}{middle}/act{i}"
        for entity, count in (("alpha", 12), ("beta", 8))
        for i in range(count)
        for middle in ("", "/{id}")
    )
    assert listed == expected
    assert len(routes) == 40


def test_same_route_from_two_entities_is_refused_at_configure_time():
    registry = ActionRegistry()
    first = make_entity("Clash", registry, 1)
    second = make_entity("Clash", registry, 1)
    with pytest.raises(ActionConfigurationError, match="same route PUT /clash/act0"):
        registry.routes([first, second])


def test_listing_an_entity_without_actions_is_refused():
    class Plain(Entity):
        x: int = 0

    with pytest.raises(ActionConfigurationError, match="Plain, which has no @action"):
        ActionRegistry().routes([Plain])


def test_decorator_arguments_are_checked():
    with pytest.raises(ActionConfigurationError, match="method='FETCH'"):
        action(method="FETCH")
    with pytest.raises(ActionConfigurationError, match="one non-empty path segment"):
        action(path="a/b")
    with pytest.raises(ActionConfigurationError, match="not staticmethod"):
        action(staticmethod(lambda: None))


def test_actions_are_inherited_and_can_be_overridden():
    class Base(Entity):
        n: int = 0

        @action
        def bump(self) -> None:
            self.n += 1

    class Child(Base):
        @action(method="PUT")
        def bump(self) -> None:
            self.n += 2

    app = build_action_app(entities=[Base, Child])
    assert "PUT /child/{id}/bump -> Child.bump" in app.describe()
    assert "POST /base/{id}/bump -> Base.bump" in app.describe()


def test_prefix_is_normalized():
    class Prefixed(Entity):
        @action
        def go(self) -> None: ...

    app = build_action_app(prefix="api/", entities=[Prefixed])
    assert app.prefix == "/api"
    assert app.describe() == [
        "POST /api/prefixed/go -> Prefixed.go",
        "POST /api/prefixed/{id}/go -> Prefixed.go",
    ]
    assert app.live_routes() == [(Prefixed, "/api/_live/prefixed/{id}")]


def test_isolated_hides_earlier_classes_and_keeps_later_ones():
    registry = ActionRegistry()
    earlier = make_entity("Earlier", registry, 1)
    with registry.isolated():
        assert earlier not in registry.entities()
        later = make_entity("Later", registry, 1)
        assert list(registry.entities()) == [later]
    assert set(registry.entities()) == {earlier, later}


def test_an_action_outside_a_class_is_warned_about_at_configure_time():
    def bump(self) -> None:  # a method written at module level, never in a class
        self.value += 1

    stray = action(bump)
    with pytest.warns(UserWarning, match=r"@action on .*bump, which is not a method") as seen:
        build_action_app(entities=[])
    assert len(seen) == 1
    assert seen[0].filename == __file__  # points at the configure call

    class Taken(Entity):  # once a class body takes it, it is routed: no warning
        value: int = 0
        bump = stray

    build_action_app(entities=[Taken])  # (filterwarnings = error: a warning fails)
    default_registry.forget(Taken)
