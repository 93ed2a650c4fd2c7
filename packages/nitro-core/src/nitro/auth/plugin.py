"""Authentication as a plugin: JWT from the environment, and ``nitro auth`` commands.

``nitro-core`` installs it under the ``auth`` entry point of ``nitro.plugins``. It
changes nothing until configured:

* an app whose ``configure_app`` got no ``auth=`` takes bearer tokens when
  ``NITRO_JWT_SECRET`` (an HMAC key of 32 bytes or more) or ``NITRO_JWT_JWKS_URL`` (an
  identity provider's keys) is set, with ``NITRO_JWT_AUDIENCE``, ``NITRO_JWT_ISSUER``
  and ``NITRO_JWT_ALGORITHMS`` (default ``HS256`` with a secret, ``RS256`` with JWKS);
  an app that passes ``auth=`` keeps exactly what it passed;
* ``nitro auth hash-password`` prints a hash for ``PasswordAuth`` users (the password
  read without echo, or from stdin), and ``nitro auth token SUBJECT`` mints a token
  with ``NITRO_JWT_SECRET`` for trying an API.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

import click

from nitro.auth.authenticators import Authentication

__all__ = ["AuthPlugin", "jwt_from_settings", "plugin"]


def jwt_from_settings(environ: Any = None) -> Any:
    """The ``JWTAuth`` the ``NITRO_JWT_*`` settings describe, ``None`` when unset."""
    env = os.environ if environ is None else environ
    secret, jwks = env.get("NITRO_JWT_SECRET"), env.get("NITRO_JWT_JWKS_URL")
    if not secret and not jwks:
        return None
    if secret and jwks:
        raise ValueError("set NITRO_JWT_SECRET or NITRO_JWT_JWKS_URL, not both")
    from nitro.auth.jwt import JWTAuth

    default = "HS256" if secret else "RS256"
    algorithms = [a.strip() for a in env.get("NITRO_JWT_ALGORITHMS", default).split(",")]
    chosen = [a for a in algorithms if a]
    audience = env.get("NITRO_JWT_AUDIENCE") or None
    issuer = env.get("NITRO_JWT_ISSUER") or None
    if jwks:
        return JWTAuth.from_jwks(jwks, algorithms=chosen, audience=audience, issuer=issuer)
    return JWTAuth(secret, algorithms=chosen, audience=audience, issuer=issuer)


class AuthPlugin:
    """The ``auth`` plugin (see the module docs)."""

    def app_configured(self, nitro: Any, app: Any) -> None:
        if nitro.dispatcher.auth is not None:
            return
        auth = jwt_from_settings()
        if auth is not None:
            nitro.dispatcher.auth = Authentication(auth)

    def cli(self, group: Any) -> None:
        group.add_command(auth_commands)


@click.group("auth", context_settings={"help_option_names": ["-h", "--help"]})
def auth_commands() -> None:
    """Passwords and tokens.

    Example: nitro auth hash-password
    """


@auth_commands.command("hash-password")
def hash_password_command() -> int:
    """Print a password hash for PasswordAuth users.

    The password is asked twice without echo, or read from stdin.

    Example: echo "$PASSWORD" | nitro auth hash-password
    """
    from nitro.auth.passwords import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            click.echo("nitro auth: the passwords differ", err=True)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        click.echo("nitro auth: an empty password is not accepted", err=True)
        return 1
    click.echo(hash_password(password))
    return 0


@auth_commands.command("token")
@click.argument("subject")
@click.option("--permission", "-p", multiple=True, help="a permission (repeatable)")
@click.option("--role", "-r", multiple=True, help="a role (repeatable)")
@click.option("--expires-in", type=int, default=3600, show_default=True, metavar="SECONDS")
def token_command(
    subject: str, permission: tuple[str, ...], role: tuple[str, ...], expires_in: int
) -> int:
    """Mint a token for SUBJECT (the sub claim) with NITRO_JWT_SECRET.

    Example: NITRO_JWT_SECRET=... nitro auth token ann -p order.cancel --expires-in 600
    """
    if not os.environ.get("NITRO_JWT_SECRET"):
        click.echo("nitro auth token: set NITRO_JWT_SECRET (the app's HMAC key)", err=True)
        return 1
    try:
        auth = jwt_from_settings()
    except ValueError as error:
        click.echo(f"nitro auth token: {error}", err=True)
        return 1
    claims: dict[str, Any] = {}
    if permission:
        claims["permissions"] = list(permission)
    if role:
        claims["roles"] = list(role)
    click.echo(auth.issue(subject, expires_in=expires_in, **claims))
    return 0


#: The ``auth`` plugin, registered under the ``nitro.plugins`` entry point.
plugin = AuthPlugin()
