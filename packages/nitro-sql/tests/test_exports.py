"""Every public name of `nitro.sql` imports, and nothing else is advertised."""

import importlib
from importlib.metadata import entry_points, version

EXPECTED = {
    "AsyncUnitOfWork",
    "ConstraintViolation",
    "DEFAULT_URL",
    "Database",
    "DuplicateId",
    "ENV_VAR",
    "Field",
    "MultipleResults",
    "NoResult",
    "SchemaMismatch",
    "Page",
    "Relationship",
    "SQLEntity",
    "SQLModelBackend",
    "SQLQuery",
    "SQLTranslatable",
    "UnitOfWork",
    "__version__",
    "and_",
    "col",
    "configure",
    "get_database",
    "not_",
    "or_",
    "use_database",
}


def test_public_names_import():
    module = importlib.import_module("nitro.sql")
    for name in module.__all__:
        assert hasattr(module, name), name


def test_the_public_api_is_exactly_this():
    assert set(importlib.import_module("nitro.sql").__all__) == EXPECTED


def test_modules_declare_their_public_names():
    for name in ("backend", "config", "entity", "errors", "query", "specs", "uow", "cli"):
        module = importlib.import_module(f"nitro.sql.{name}")
        for public in module.__all__:
            assert hasattr(module, public), (name, public)


def test_version_matches_distribution_metadata():
    module = importlib.import_module("nitro.sql")
    assert module.__version__ == version("nitro-sql")


def test_db_and_migrate_command_entry_points():
    import click

    found = {ep.name: ep for ep in entry_points(group="nitro.commands")}
    assert found["db"].value == "nitro.sql.cli:db"
    assert found["migrate"].value == "nitro.sql.cli:migrate"
    assert isinstance(found["db"].load(), click.Group)
    assert isinstance(found["migrate"].load(), click.Command)
