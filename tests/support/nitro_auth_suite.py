"""The permission suite every adapter runs: the same answers on FastAPI, Flask and
FastHTML for anonymous callers, wrong roles, row rules, superusers and bad tokens.

Each adapter's test module subclasses :class:`AuthSuite` and points ``adapter`` at its
:class:`~nitro_adapter_suite.AdapterSuite` subclass (how to build and serve an app); the
tests talk to a real server on a loopback port through httpx.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from nitro import Entity
from nitro.actions import action
from nitro.auth import JWTAuth, Role, RowRule, current_user
from nitro.specification import FieldEquals

KEY = "k" * 40
ROTATED_OUT = "r" * 40
AUDIENCE, ISSUER = "orders-api", "https://id.test/"

SUPPORT = Role("support", {"order.view", "order.cancel"})
VIEWER = Role("viewer", {"order.view"})

#: One rule for the action on one order and for the list of orders (in the database).
OWN_ORDERS = RowRule(lambda user: FieldEquals("owner_id", user.id), name="own orders")


class AuthOrder(Entity):
    owner_id: str
    status: str = "open"
    cancelled_by: str = ""

    @action(permission="order.cancel", allow=lambda user, order: order.owner_id == user.id)
    def cancel(self) -> None:
        self.status = "cancelled"
        self.cancelled_by = str(current_user().id)

    @action(method="GET", permission="order.view")
    def show(self) -> dict[str, str]:
        return {"status": self.status, "caller": str(current_user().id)}

    @action(method="GET")
    def whoami(self) -> dict[str, Any]:
        user = current_user()
        return {"id": user.id, "authenticated": user.is_authenticated}

    @action(allow=lambda user: "support" in user.role_names)
    @classmethod
    def open_count(cls) -> int:
        return sum(1 for o in cls.all() if o.status == "open")

    @action(allow=OWN_ORDERS)
    def reopen(self) -> None:
        self.status = "open"

    @action(method="GET")
    @classmethod
    def mine(cls) -> list[str]:
        return [o.id for o in cls.filter(OWN_ORDERS.spec(current_user()))]


def auth() -> JWTAuth:
    return JWTAuth(
        {"2026-12": KEY}, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, leeway=0
    )


class FromNow(int):
    """A time claim given as seconds from when the token is made, not from when the
    test module was collected (a parametrised ``time.time() + 300`` goes stale in a
    suite that runs longer than five minutes)."""


def token(sub: str, *, roles: tuple[str, ...] = (), **claims: Any) -> str:
    """A valid token for *sub*; *claims* override (``exp=``, ``aud=``, ...)."""
    permissions = sorted(
        {p for role in (SUPPORT, VIEWER) if role.name in roles for p in role.permissions}
    )
    body: dict[str, Any] = {
        "sub": sub,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
        "roles": list(roles),
        "permissions": permissions,
    }
    body.update(
        {k: int(time.time()) + v if isinstance(v, FromNow) else v for k, v in claims.items()}
    )
    kid = body.pop("kid", "2026-12")
    key = body.pop("key", KEY)
    return pyjwt.encode(
        {k: v for k, v in body.items() if v is not None},
        key,
        algorithm="HS256",
        headers={"kid": kid},
    )


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


class AuthSuite:
    #: The adapter's AdapterSuite subclass: how to build and serve an app.
    adapter: Any

    @pytest.fixture(scope="class")
    @classmethod
    def auth_url(cls) -> Iterator[str]:
        app = cls.adapter.build_app(entities=[AuthOrder], auth=auth())
        with cls.adapter.serve(app) as url:
            yield url

    @pytest.fixture
    def client(self, auth_url: str) -> Iterator[httpx.Client]:
        AuthOrder.repository().clear()
        AuthOrder(id="o1", owner_id="ann").save()
        AuthOrder(id="o2", owner_id="bob").save()
        with httpx.Client(base_url=auth_url, timeout=10) as client:
            yield client

    def test_anonymous_is_401_with_a_bearer_challenge(self, client: httpx.Client) -> None:
        answer = client.post("/authorder/o1/cancel")
        assert answer.status_code == 401
        assert answer.json() == {"error": "Authentication required"}
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert AuthOrder.get("o1").status == "open"

    def test_a_role_without_the_permission_is_403(self, client: httpx.Client) -> None:
        answer = client.post(
            "/authorder/o1/cancel", headers=bearer(token("ann", roles=("viewer",)))
        )
        assert answer.status_code == 403
        assert answer.json() == {"error": "Permission denied"}
        assert AuthOrder.get("o1").status == "open"

    def test_the_row_rule_refuses_another_users_order(self, client: httpx.Client) -> None:
        answer = client.post(
            "/authorder/o2/cancel", headers=bearer(token("ann", roles=("support",)))
        )
        assert answer.status_code == 403
        assert AuthOrder.get("o2").status == "open"

    def test_the_owner_with_the_permission_may(self, client: httpx.Client) -> None:
        answer = client.post(
            "/authorder/o1/cancel", headers=bearer(token("ann", roles=("support",)))
        )
        assert answer.status_code == 200, answer.text
        order = AuthOrder.get("o1")
        assert (order.status, order.cancelled_by) == ("cancelled", "ann")

    def test_a_superuser_passes_permission_and_rule(self, client: httpx.Client) -> None:
        def superuser(claims: Any) -> Any:
            from nitro.auth import User

            return User(id=claims["sub"], is_superuser=claims.get("su") is True)

        # the mapping is the app's: here a claim marks superusers
        app = self.adapter.build_app(
            entities=[AuthOrder],
            auth=JWTAuth(
                {"2026-12": KEY},
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                user=superuser,
            ),
        )
        with self.adapter.serve(app) as url, httpx.Client(base_url=url, timeout=10) as other:
            refused = other.post("/authorder/o2/cancel", headers=bearer(token("root")))
            assert refused.status_code == 403
            answer = other.post("/authorder/o2/cancel", headers=bearer(token("root", su=True)))
            assert answer.status_code == 200, answer.text
        assert AuthOrder.get("o2").cancelled_by == "root"

    def test_classmethod_rules_get_the_user(self, client: httpx.Client) -> None:
        assert client.post("/authorder/open_count").status_code == 401
        denied = client.post(
            "/authorder/open_count", headers=bearer(token("ann", roles=("viewer",)))
        )
        assert denied.status_code == 403
        ok = client.post("/authorder/open_count", headers=bearer(token("ann", roles=("support",))))
        assert ok.status_code == 200
        assert ok.json()["result"] == 2

    def test_current_user_is_set_for_the_request_only(self, client: httpx.Client) -> None:
        mine = client.get("/authorder/o1/whoami", headers=bearer(token("ann")))
        assert mine.json()["result"] == {"id": "ann", "authenticated": True}
        nobody = client.get("/authorder/o1/whoami")
        assert nobody.json()["result"] == {"id": None, "authenticated": False}
        shown = client.get("/authorder/o1/show", headers=bearer(token("bob", roles=("viewer",))))
        assert shown.json()["result"] == {"status": "open", "caller": "bob"}

    @pytest.mark.parametrize(
        ("claims", "reason"),
        [
            ({"exp": FromNow(-5)}, "expired"),
            ({"nbf": FromNow(300)}, "not valid yet"),
            ({"aud": "another-api"}, "wrong audience"),
            ({"iss": "https://evil.test/"}, "wrong issuer"),
            ({"exp": None}, "no exp claim"),
            ({"kid": "2026-11", "key": ROTATED_OUT}, "unknown signing key"),
            ({"key": "x" * 40}, "bad signature"),
        ],
    )
    def test_bad_tokens_are_401_with_the_reason(
        self, client: httpx.Client, claims: dict[str, Any], reason: str
    ) -> None:
        answer = client.post(
            "/authorder/o1/cancel", headers=bearer(token("ann", roles=("support",), **claims))
        )
        assert answer.status_code == 401
        assert answer.json() == {"error": f"Invalid token: {reason}"}
        assert AuthOrder.get("o1").status == "open"

    def test_a_row_rule_guards_the_action_and_filters_the_list(self, client: httpx.Client) -> None:
        AuthOrder(id="o3", owner_id="ann", status="cancelled").save()
        ann = bearer(token("ann"))
        assert client.post("/authorder/o2/reopen", headers=ann).status_code == 403
        assert client.post("/authorder/o3/reopen", headers=ann).status_code == 200
        assert AuthOrder.get("o3").status == "open"
        assert client.get("/authorder/mine", headers=ann).json()["result"] == ["o1", "o3"]
        bob = client.get("/authorder/mine", headers=bearer(token("bob")))
        assert bob.json()["result"] == ["o2"]
        nobody = client.get("/authorder/mine")
        assert nobody.status_code == 401

    def test_tampered_and_unsigned_tokens_are_refused(self, client: httpx.Client) -> None:
        good = token("bob", roles=("support",))
        head, body, sig = good.split(".")
        forged_body = pyjwt.utils.base64url_encode(
            pyjwt.utils.base64url_decode(body).replace(b'"bob"', b'"ann"')
        ).decode()
        unsigned = pyjwt.encode(
            {
                "sub": "ann",
                "aud": AUDIENCE,
                "iss": ISSUER,
                "exp": int(time.time()) + 60,
                "permissions": ["order.cancel"],
            },
            None,
            algorithm="none",
            headers={"kid": "2026-12"},
        )
        for bad in (f"{head}.{forged_body}.{sig}", unsigned, "not-a-jwt", f"{head}.{body}."):
            answer = client.post("/authorder/o1/cancel", headers=bearer(bad))
            assert answer.status_code == 401, bad
            assert answer.json()["error"].startswith("Invalid token")
        assert AuthOrder.get("o1").status == "open"
