"""Identity and permissions, shared by actions, commands and the admin.

.. code-block:: python

    from nitro.auth import JWTAuth, Role, User, current_user


    class Order(Entity):
        owner_id: str

        @action(permission="order.cancel", allow=lambda user, order: order.owner_id == user.id)
        def cancel(self) -> None: ...


    configure_app(app, auth=JWTAuth(key, algorithms=["HS256"], audience="shop"))

See ``docs/auth.md``.
"""

from typing import TYPE_CHECKING, Any

from nitro.auth.authenticators import Authentication as Authentication
from nitro.auth.authenticators import Authenticator as Authenticator
from nitro.auth.authenticators import bearer_token as bearer_token
from nitro.auth.context import acting_as as acting_as
from nitro.auth.context import current_user as current_user
from nitro.auth.errors import AuthError as AuthError
from nitro.auth.errors import NotAuthenticated as NotAuthenticated
from nitro.auth.errors import PermissionDenied as PermissionDenied
from nitro.auth.errors import TooManyAttempts as TooManyAttempts
from nitro.auth.identity import ANONYMOUS as ANONYMOUS
from nitro.auth.identity import AnonymousUser as AnonymousUser
from nitro.auth.identity import Role as Role
from nitro.auth.identity import User as User
from nitro.auth.identity import grants as grants
from nitro.auth.rules import Guard as Guard
from nitro.auth.rules import RowRule as RowRule

if TYPE_CHECKING:  # needs the [jwt] extra: imported on first use
    from nitro.auth.jwt import JWTAuth as JWTAuth
if TYPE_CHECKING:  # password logins: loaded on first use, `import nitro` stays light
    from nitro.auth.login import SessionAuth as SessionAuth
    from nitro.auth.passwords import hash_password as hash_password
    from nitro.auth.passwords import verify_password as verify_password
    from nitro.auth.users import PasswordAuth as PasswordAuth
    from nitro.auth.users import PasswordUser as PasswordUser
    from nitro.auth.users import UserStore as UserStore

#: Names loaded on first use, and their modules.
_LAZY = {
    "SessionAuth": "nitro.auth.login",
    "hash_password": "nitro.auth.passwords",
    "verify_password": "nitro.auth.passwords",
    "PasswordAuth": "nitro.auth.users",
    "PasswordUser": "nitro.auth.users",
    "UserStore": "nitro.auth.users",
}


def __getattr__(name: str) -> Any:
    if name == "JWTAuth":
        from nitro.auth.jwt import JWTAuth

        return JWTAuth
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
