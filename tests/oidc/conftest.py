"""Fixtures for OpenID Connect login: a real provider for the session (node
oidc-provider, see tests/support/nitro_oidc.py) and apps served on FastAPI or Flask."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nitro_oidc import App, Provider, serve_app, start_provider


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Provider]:
    with start_provider() as provider:
        yield provider


@pytest.fixture
def oidc_app(oidc_provider: Provider) -> Iterator[Callable[..., App]]:
    """``oidc_app("fastapi" | "flask", cls=OIDCLogin, **options)``: a served app with
    the login at ``/auth`` and ``/`` naming the logged-in user."""
    with contextlib.ExitStack() as stack:

        def start(*args: Any, **options: Any) -> App:
            return serve_app(stack, oidc_provider, *args, **options)

        yield start
