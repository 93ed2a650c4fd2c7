"""nitro.auth's model and the JWT authenticator, without a server (the HTTP answers on
each adapter are tests/support/nitro_auth_suite.py)."""

from __future__ import annotations

import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nitro.actions import ActionConfigurationError, action
from nitro.actions.request import ActionRequest
from nitro.auth import (
    ANONYMOUS,
    Authentication,
    Guard,
    JWTAuth,
    NotAuthenticated,
    PermissionDenied,
    Role,
    User,
    acting_as,
    current_user,
    grants,
)

KEY = "s" * 40


def request(token: str | None) -> ActionRequest:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return ActionRequest(method="POST", headers=headers)


def test_grants_and_wildcards() -> None:
    assert grants("order.cancel", "order.cancel")
    assert grants("order.*", "order.cancel")
    assert grants("*", "anything.at.all")
    assert not grants("order.*", "orders.cancel")
    assert not grants("order.cancel", "order.cancelled")
    user = User(id="ann", permissions=["order.view"], roles=[Role("ops", {"job.*", "a.b.*"})])
    assert user.has_perm("order.view")
    assert user.has_perm("job.retry")
    assert user.has_perm("a.b.c")
    assert not user.has_perm("order.cancel")
    assert not user.has_perm("a.c")
    assert user.all_permissions() == {"order.view", "job.*", "a.b.*"}
    assert user.role_names == {"ops"}
    assert User(id="root", is_superuser=True).has_perm("anything")
    assert not ANONYMOUS.is_authenticated
    assert not ANONYMOUS.has_perm("order.view")


def test_current_user_defaults_to_anonymous_and_acting_as_nests() -> None:
    assert current_user() is ANONYMOUS
    with acting_as(User(id="ann")):
        assert current_user().id == "ann"
        with acting_as(User(id="job-runner")):
            assert current_user().id == "job-runner"
        assert current_user().id == "ann"
    assert current_user() is ANONYMOUS


def test_guard_checks_login_permission_then_rule() -> None:
    guard = Guard("order.cancel", lambda user, order: order == user.id)
    with pytest.raises(NotAuthenticated):
        guard.check_caller(ANONYMOUS)
    with pytest.raises(PermissionDenied):
        guard.check_caller(User(id="ann"))
    holder = User(id="ann", permissions=["order.cancel"])
    guard.check_caller(holder)
    guard.check_entity(holder, "ann")
    with pytest.raises(PermissionDenied):
        guard.check_entity(holder, "bob")
    guard.check_entity(User(id="root", is_superuser=True), "bob")
    Guard(allow=lambda user: user.id == "ann").check_entity(holder, None)


def test_bad_guards_fail_at_definition() -> None:
    with pytest.raises(ActionConfigurationError, match="permission must be a non-empty"):
        action(permission="")
    with pytest.raises(ActionConfigurationError, match="allow must be callable"):
        action(allow="owner")  # type: ignore[arg-type]


def test_jwt_configuration_mistakes_are_refused() -> None:
    with pytest.raises(ValueError, match="'none' algorithm"):
        JWTAuth(KEY, algorithms=["none"])
    with pytest.raises(ValueError, match="do not mix HMAC"):
        JWTAuth(KEY, algorithms=["HS256", "RS256"])
    with pytest.raises(ValueError, match="at least 32 bytes"):
        JWTAuth("short", algorithms=["HS256"])
    with pytest.raises(ValueError, match="give the accepted algorithms"):
        JWTAuth(KEY, algorithms=[])
    with pytest.raises(ValueError, match="unknown algorithm"):
        JWTAuth(KEY, algorithms=["HS999"])


def test_jwt_round_trip_and_claims_to_user() -> None:
    auth = JWTAuth({"a": KEY}, algorithms=["HS256"], audience="api", issuer="https://id/")
    token = auth.issue(
        "ann", kid="a", permissions=["order.view"], scope="doc.read", roles=["support"]
    )
    user = auth.authenticate(request(token))
    assert user is not None
    assert user.id == "ann"
    assert user.permissions == {"order.view", "doc.read"}
    assert user.role_names == {"support"}
    assert user.claims["aud"] == "api"
    assert auth.authenticate(request(None)) is None
    assert Authentication([auth]).identify(request(None)) is ANONYMOUS


def test_rotation_stops_remembered_tokens_at_once() -> None:
    auth = JWTAuth({"old": KEY, "new": "n" * 40}, algorithms=["HS256"])
    old = auth.issue("ann", kid="old")
    assert auth.authenticate(request(old)) is not None  # verified, then remembered
    assert auth.authenticate(request(old)) is not None
    auth.set_keys({"new": "n" * 40})  # "old" rotated out
    with pytest.raises(NotAuthenticated, match="unknown signing key"):
        auth.authenticate(request(old))
    assert auth.authenticate(request(auth.issue("ann", kid="new"))) is not None


def test_a_remembered_token_still_expires() -> None:
    auth = JWTAuth(KEY, algorithms=["HS256"], remember=300)
    token = auth.issue("ann", expires_in=1)
    assert auth.authenticate(request(token)) is not None
    time.sleep(1.2)
    with pytest.raises(NotAuthenticated, match="expired"):
        auth.authenticate(request(token))


def test_public_key_tokens_and_algorithm_pinning() -> None:
    private = Ed25519PrivateKey.generate()
    auth = JWTAuth(private.public_key(), algorithms=["EdDSA"], signing_key=private)
    assert auth.authenticate(request(auth.issue("ann"))).id == "ann"  # type: ignore[union-attr]
    # an HMAC token "signed" with the public key's bytes: algorithm confusion
    forged = pyjwt.encode({"sub": "ann", "exp": int(time.time()) + 60}, "x" * 40, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match="algorithm not accepted"):
        auth.authenticate(request(forged))


def test_an_app_user_loader_runs_on_every_request() -> None:
    calls = []

    def load(claims: dict) -> User:
        calls.append(claims["sub"])
        return User(id=claims["sub"], permissions=["order.view"])

    auth = JWTAuth(KEY, algorithms=["HS256"], user=load)
    token = auth.issue("ann")
    auth.authenticate(request(token))
    auth.authenticate(request(token))
    assert calls == ["ann", "ann"]  # a revoked account is refused at once


def test_a_row_rule_is_a_specification_of_the_user() -> None:
    from nitro import Entity, FieldEquals
    from nitro.auth import RowRule

    class Note(Entity):
        owner: str

    own = RowRule(lambda user: FieldEquals("owner", user.id), name="own notes")
    ann, bob = User(id="ann"), User(id="bob")
    mine, theirs = Note(owner="ann"), Note(owner="bob")
    assert own(ann, mine)
    assert not own(ann, theirs)
    assert own(User(id="root", is_superuser=True), theirs)
    assert own.spec(User(id="root", is_superuser=True)) is None
    with pytest.raises(NotAuthenticated):
        own.spec(ANONYMOUS)
    guard = Guard(allow=own)
    guard.check_entity(ann, mine)
    with pytest.raises(PermissionDenied):
        guard.check_entity(bob, mine)
    # a plain rule may return a specification too; it is checked against the entity
    inline = Guard(allow=lambda user: FieldEquals("owner", user.id))
    inline.check_entity(ann, mine)
    with pytest.raises(PermissionDenied):
        inline.check_entity(ann, theirs)
    broken = RowRule(lambda user: True)
    with pytest.raises(TypeError, match="returned bool, not a Specification"):
        broken.spec(ann)
    with pytest.raises(TypeError, match="needs a callable"):
        RowRule("owner")  # type: ignore[arg-type]
    assert repr(own) == "RowRule(own notes)"
