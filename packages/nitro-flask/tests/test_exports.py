"""Every public name of `nitro.adapters.flask` imports, and nothing else is advertised."""

import importlib
from importlib.metadata import version


def test_public_names_import():
    module = importlib.import_module("nitro.adapters.flask")
    for name in module.__all__:
        assert hasattr(module, name), name


def test_version_matches_distribution_metadata():
    module = importlib.import_module("nitro.adapters.flask")
    assert module.__version__ == version("nitro-flask")
