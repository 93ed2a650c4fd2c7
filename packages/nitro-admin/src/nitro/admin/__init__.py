"""nitro-admin: the auto-generated admin for Nitro entities.

.. code-block:: python

    from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password

    admin = Admin(auth=PasswordAuth([AdminUser("ann", hash_password("..."), is_superuser=True)]))
    admin.register(Product, list_display=["name", "price"], search_fields=["name"])
    mount(app, admin)  # from nitro.adapters.fastapi / flask / fasthtml

``from nitro.admin import admin`` is a ready default site (prefix ``/admin``); it still
needs ``admin.auth = ...`` (or ``admin.insecure_dev = True`` for local development).
"""

from importlib.metadata import version as _version

from nitro.admin.auth import PERMISSIONS as PERMISSIONS
from nitro.admin.auth import AdminSessionAuth as AdminSessionAuth
from nitro.admin.auth import AdminUser as AdminUser
from nitro.admin.auth import AuthBackend as AuthBackend
from nitro.admin.auth import PasswordAuth as PasswordAuth
from nitro.admin.checks import CheckMessage as CheckMessage
from nitro.admin.errors import AdminConfigurationError as AdminConfigurationError
from nitro.admin.errors import AdminError as AdminError
from nitro.admin.errors import AlreadyMounted as AlreadyMounted
from nitro.admin.errors import AlreadyRegistered as AlreadyRegistered
from nitro.admin.errors import NotRegistered as NotRegistered
from nitro.admin.inlines import Inline as Inline
from nitro.admin.jobs import JobsAdmin as JobsAdmin
from nitro.admin.jobs import JobsEngine as JobsEngine
from nitro.admin.options import EntityAdmin as EntityAdmin
from nitro.admin.passwords import hash_password as hash_password
from nitro.admin.passwords import verify_password as verify_password
from nitro.admin.requests import AdminRequest as AdminRequest
from nitro.admin.site import SECRET_KEY_ENV as SECRET_KEY_ENV
from nitro.admin.site import Admin as Admin
from nitro.admin.specs import FieldContains as FieldContains
from nitro.admin.specs import FieldRange as FieldRange

#: The installed version of nitro-admin (from its distribution metadata).
__version__: str = _version("nitro-admin")

#: The default site: ``from nitro.admin import admin``.
admin = Admin()

__all__ = [
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
]
