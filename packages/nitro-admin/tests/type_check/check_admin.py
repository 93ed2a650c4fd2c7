"""User code against the public nitro.admin API; must pass mypy --strict."""

from __future__ import annotations

from typing import Any

from nitro import Entity
from nitro.admin import (
    Admin,
    AdminRequest,
    AdminUser,
    CheckMessage,
    EntityAdmin,
    Inline,
    PasswordAuth,
    hash_password,
)
from nitro.persistence import MemoryRepo
from nitro.sessions import MemorySessionStore
from nitro.specification import FieldEquals, Specification
from nitro.throttle import LoginThrottle, MemoryCounterStore


class Shelf(Entity):
    name: str


class Book(Entity):
    title: str
    price: float = 0.0
    shelf_id: str | None = None


def discount(request: AdminRequest, entities: list[Any]) -> str:
    for book in entities:
        book.price = round(book.price * 0.9, 2)
        book.save()
    return f"{len(entities)} discounted."


class BookAdmin(EntityAdmin):
    list_display = ("title", "price", "shelf_id")
    search_fields = ("title",)
    relations = {"shelf_id": Shelf}
    actions = (discount,)

    def get_base_spec(self, request: AdminRequest) -> Specification[Any] | None:
        user = request.user
        if user is None or user.is_superuser:
            return None
        return FieldEquals("owner", user.username)


def can(user: AdminUser, permission: str, entity_admin: EntityAdmin) -> bool:
    return user.is_superuser or permission == "view"


users = [AdminUser("ann", hash_password("pw"), is_superuser=True)]
admin = Admin("/back-office", auth=PasswordAuth(users), secret_key="k" * 32, has_permission=can)
admin.register(Shelf, search_fields=["name"], inlines=[Inline(Book, fk="shelf_id")])
options: EntityAdmin = admin.register(Book, BookAdmin, list_per_page=25)
problems: list[CheckMessage] = admin.check()
ids: list[str] = [problem.id for problem in problems]

# Sessions shared through a repository, a tuned login throttle, trusted proxies.
shared = Admin(
    "/staff",
    auth=PasswordAuth(users),
    secret_key="k" * 32,
    session_repository=MemoryRepo,
    login_throttle=LoginThrottle(MemoryCounterStore(), free_attempts=3, max_delay=900),
    trusted_proxies=["10.0.0.0/8"],
)
ended: int = shared.end_sessions("ann")
shared.change_password("ann", "a new password")
unthrottled = Admin(
    auth=PasswordAuth(users), login_throttle=False, session_store=MemorySessionStore()
)

# The jobs dashboard: nitro-cqrs's engines satisfy nitro.admin's JobsEngine protocol.
from nitro.admin import JobsAdmin  # noqa: E402
from nitro.cqrs.jobs import InProcessEngine, current_engine  # noqa: E402


class OpsJobsAdmin(JobsAdmin):
    slug = "jobs"
    recent_limit = 100

    def has_change_permission(self, request: AdminRequest) -> bool:
        return request.user is not None and request.user.is_superuser


with_jobs = Admin(auth=PasswordAuth(users), secret_key="k" * 32, jobs=current_engine())
later = Admin("/ops", auth=PasswordAuth(users), secret_key="k" * 32)
jobs_admin: JobsAdmin = later.register_jobs(InProcessEngine(), OpsJobsAdmin)
