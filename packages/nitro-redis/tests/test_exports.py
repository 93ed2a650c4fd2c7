"""Every public name of `nitro.redis` imports, and nothing else is advertised."""

import importlib
from importlib.metadata import version

from nitro.broadcast import Broadcaster
from nitro.persistence import Repository
from nitro.throttle import CounterStore

PUBLIC = {"CachedRepo", "RedisBroadcaster", "RedisCounterStore", "RedisRepo", "__version__"}


def test_public_names_import():
    module = importlib.import_module("nitro.redis")
    assert set(module.__all__) == PUBLIC
    for name in module.__all__:
        assert hasattr(module, name), name


def test_public_classes_implement_the_core_interfaces():
    from nitro.redis import CachedRepo, RedisBroadcaster, RedisCounterStore, RedisRepo

    assert issubclass(RedisRepo, Repository)
    assert isinstance(RedisCounterStore("redis://127.0.0.1:1/0"), CounterStore)
    assert issubclass(CachedRepo, Repository)
    # Constructing starts nothing (threads start on first use), so no Redis is needed.
    assert isinstance(RedisBroadcaster("redis://127.0.0.1:1/0"), Broadcaster)


def test_public_modules_expose_no_private_module_names():
    for name in (
        "nitro.redis.repo",
        "nitro.redis.broadcaster",
        "nitro.redis.cache",
        "nitro.redis.counters",
    ):
        module = importlib.import_module(name)
        for exported in module.__all__:
            assert not exported.startswith("_"), (name, exported)
            assert hasattr(module, exported), (name, exported)


def test_version_matches_distribution_metadata():
    module = importlib.import_module("nitro.redis")
    assert module.__version__ == version("nitro-redis")
