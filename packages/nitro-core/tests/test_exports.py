"""Every public name of `nitro` and its public modules imports, and the entity API is there."""

import importlib
from importlib.metadata import version

import pytest

PUBLIC_MODULES = [
    "nitro",
    "nitro.entity",
    "nitro.events",
    "nitro.ids",
    "nitro.mypy",
    "nitro.persistence",
    "nitro.persistence.base",
    "nitro.persistence.errors",
    "nitro.persistence.memory",
    "nitro.persistence.query",
    "nitro.persistence.registry",
    "nitro.persistence.entity_query",
    "nitro.persistence.testing",
    "nitro.auth.cookies",
    "nitro.auth.csrf",
    "nitro.auth.login",
    "nitro.auth.passwords",
    "nitro.auth.proxies",
    "nitro.auth.signing",
    "nitro.auth.types",
    "nitro.auth.users",
    "nitro.sessions",
    "nitro.signals",
    "nitro.specification",
    "nitro.throttle",
    "nitro.probe",
    "nitro.observability",
    "nitro.observability.context",
    "nitro.observability.logs",
    "nitro.observability.metrics",
    "nitro.observability.plugin",
    "nitro.observability.setup",
    "nitro.observability.timing",
    "nitro.observability.tracing",
]

ENTITY_API = {
    "nitro": [
        "Entity",
        "Event",
        "FieldEquals",
        "MemoryRepo",
        "NotFound",
        "Repository",
        "Specification",
        "__version__",
        "event",
        "new_id",
        "on",
        "post_delete",
        "post_save",
        "pre_delete",
        "pre_save",
        "set_default_backend",
        "use_backend",
        "where",
    ],
    "nitro.persistence": [
        "BackendFactory",
        "BackendUnavailable",
        "ConcurrencyError",
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
        "get_default_backend",
        "repository_for",
        "reset_repositories",
        "set_default_backend",
        "use_backend",
    ],
    "nitro.persistence.testing": [
        "ContractItem",
        "ContractNote",
        "FakeClock",
        "RepositoryContract",
        "Status",
        "memory_store",
    ],
    "nitro.specification": [
        "AndSpecification",
        "FieldEquals",
        "NotSpecification",
        "OrSpecification",
        "PredicateSpecification",
        "Specification",
        "where",
    ],
    "nitro.signals": [
        "SIGNAL_SUFFIX",
        "SignalRef",
        "class_signal",
        "data_signals",
        "json_safe",
        "signal_path",
        "signal_ref",
        "signals_namespace",
    ],
    "nitro.events": ["Event", "event", "on", "post_delete", "post_save", "pre_delete", "pre_save"],
    "nitro.ids": ["id_timestamp_ms", "is_valid_id", "new_id"],
    "nitro.entity": [
        "Entity",
        "EntityMeta",
        "check_field_names",
        "describe_api",
        "reject_unknown_keys",
    ],
    "nitro.sessions": [
        "MemorySessionStore",
        "RepositorySessionStore",
        "SessionRecord",
        "SessionStore",
    ],
    "nitro.throttle": ["CounterStore", "LoginThrottle", "MemoryCounterStore"],
}


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_names_import(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__, module_name
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name}"


@pytest.mark.parametrize(("module_name", "names"), ENTITY_API.items())
def test_entity_api_is_advertised(module_name: str, names: list[str]) -> None:
    module = importlib.import_module(module_name)
    missing = sorted(set(names) - set(module.__all__))
    assert not missing, f"{module_name}.__all__ lacks {missing}"


def test_top_level_reexports_are_the_same_objects() -> None:
    import nitro
    from nitro import entity, events, persistence, specification

    assert nitro.Entity is entity.Entity
    assert nitro.MemoryRepo is persistence.MemoryRepo
    assert nitro.on is events.on
    assert nitro.Specification is specification.Specification


def test_version_matches_distribution_metadata() -> None:
    module = importlib.import_module("nitro")
    assert module.__version__ == version("nitro-core")
