"""The two apps of bench_auth.py: the same action, open and guarded by a JWT."""

from __future__ import annotations

from fastapi import FastAPI

from nitro import Entity
from nitro.actions import action
from nitro.adapters.fastapi import configure_app
from nitro.auth import JWTAuth

KEY = "bench-secret-" + "k" * 32


class Doc(Entity):
    owner: str = "ann"
    count: int = 0

    @action
    def bump(self) -> None:
        self.count += 1


class GuardedDoc(Entity):
    owner: str = "ann"
    count: int = 0

    @action(permission="doc.edit", allow=lambda user, doc: doc.owner == user.id)
    def bump(self) -> None:
        self.count += 1


Doc(id="d1").save()
GuardedDoc(id="d1").save()

open_app = FastAPI()
configure_app(open_app, entities=[Doc])

guarded_app = FastAPI()
configure_app(
    guarded_app,
    entities=[GuardedDoc],
    auth=JWTAuth(
        {"k1": KEY}, algorithms=["HS256"], audience="bench-api", issuer="https://id.bench/"
    ),
)
