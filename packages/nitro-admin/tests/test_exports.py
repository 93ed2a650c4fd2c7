"""Every public name of `nitro.admin` imports, and nothing else is advertised."""

import importlib
from importlib.metadata import version

import nitro.admin

EXPECTED = {
    "PERMISSIONS",
    "SECRET_KEY_ENV",
    "Admin",
    "AdminConfigurationError",
    "AdminError",
    "AdminRequest",
    "AdminSessionAuth",
    "AdminUser",
    "AlreadyMounted",
    "AlreadyRegistered",
    "AuthBackend",
    "CheckMessage",
    "EntityAdmin",
    "FieldContains",
    "FieldRange",
    "Inline",
    "JobsAdmin",
    "JobsEngine",
    "NotRegistered",
    "PasswordAuth",
    "__version__",
    "admin",
    "hash_password",
    "verify_password",
}


def test_public_names_import() -> None:
    module = importlib.import_module("nitro.admin")
    for name in module.__all__:
        assert hasattr(module, name), name


def test_all_is_exactly_the_documented_api() -> None:
    assert set(nitro.admin.__all__) == EXPECTED


def test_public_objects_do_not_come_from_private_modules() -> None:
    for name in nitro.admin.__all__:
        module = getattr(getattr(nitro.admin, name), "__module__", None) or ""
        assert not any(part.startswith("_") for part in module.split(".")), (name, module)


def test_version_matches_distribution_metadata() -> None:
    module = importlib.import_module("nitro.admin")
    assert module.__version__ == version("nitro-admin")
