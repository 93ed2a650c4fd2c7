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


def test_the_login_names_are_nitro_auths_objects() -> None:
    """Users, passwords, the cookie, signing, CSRF and proxies live in nitro.auth; the
    admin's names for them are the same objects (one login, one implementation)."""
    from nitro.admin import csrf, passwords, proxies, session, signing
    from nitro.auth import cookies, login, users
    from nitro.auth import csrf as core_csrf
    from nitro.auth import passwords as core_passwords
    from nitro.auth import proxies as core_proxies
    from nitro.auth import signing as core_signing

    assert nitro.admin.PasswordAuth is users.PasswordAuth
    assert nitro.admin.AuthBackend is users.UserStore
    assert issubclass(nitro.admin.AdminUser, users.PasswordUser)
    assert nitro.admin.hash_password is passwords.hash_password is core_passwords.hash_password
    assert nitro.admin.verify_password is core_passwords.verify_password
    assert session.Session is cookies.Session
    assert session.SessionCookie is cookies.SessionCookie
    assert signing.Signer is core_signing.Signer
    assert signing.BadSignature is core_signing.BadSignature
    assert proxies.TrustedProxies is core_proxies.TrustedProxies
    assert issubclass(csrf.CsrfProtection, core_csrf.CsrfProtection)
    assert csrf.FIELD_NAME == core_csrf.FIELD_NAME
    assert nitro.admin.Admin.session_cookie_class is login.SessionAuth.cookie_class
