"""The checks of the admin site as a whole: authentication, secret key, slugs, jobs.

Separate from the per-entity checks (:mod:`nitro.admin._checks_entity`) because they
read the :class:`~nitro.admin.Admin` itself, and problems such as a URL slug used
twice only show across all the registered entities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nitro.admin._checks_base import _SLUG, CheckMessage

if TYPE_CHECKING:
    from nitro.admin.site import Admin

MIN_SECRET_LENGTH = 32


def _check_site(site: Admin) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if site.auth is None and not site.insecure_dev:
        errors.append(
            CheckMessage(
                "admin.E101",
                "The admin has no authentication and would let anyone edit your data.",
                "pass Admin(auth=PasswordAuth([...])); for a local development run only, "
                "Admin(insecure_dev=True).",
            )
        )
    if site.auth is not None and not all(
        callable(getattr(site.auth, name, None)) for name in ("authenticate", "load_user")
    ):
        errors.append(
            CheckMessage(
                "admin.E104",
                f"Admin(auth=...) must have authenticate(username, password) and "
                f"load_user(username) methods, got {site.auth!r}.",
            )
        )
    key = site.resolve_secret_key()
    if key is None:
        errors.append(
            CheckMessage(
                "admin.E102",
                "The admin has no secret key to sign its session cookies.",
                "set the NITRO_ADMIN_SECRET_KEY environment variable or pass "
                "Admin(secret_key=...), e.g. from python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'.",
            )
        )
    elif len(key) < MIN_SECRET_LENGTH:
        errors.append(
            CheckMessage(
                "admin.E103",
                f"The admin's secret key is {len(key)} characters long; it must have at "
                f"least {MIN_SECRET_LENGTH}.",
            )
        )
    slugs: dict[str, str] = {}
    for entity_admin in site.registry.values():
        other = slugs.setdefault(entity_admin.slug_value, entity_admin.entity_cls.__name__)
        if other != entity_admin.entity_cls.__name__:
            errors.append(
                CheckMessage(
                    "admin.E028",
                    f"{entity_admin.entity_cls.__name__} and {other} both use the URL slug "
                    f"{entity_admin.slug_value!r}.",
                    "give one of them another slug: register(..., slug='...').",
                )
            )
    return errors


def _check_jobs(site: Admin) -> list[CheckMessage]:
    """The jobs dashboard: its engine's shape, its slug and its limits."""
    from nitro.admin.jobs import STORE_METHODS

    jobs = site.jobs_admin
    if jobs is None:
        return []
    errors: list[CheckMessage] = []
    name = type(jobs).__name__
    store = getattr(jobs.engine, "store", None)
    missing = [m for m in STORE_METHODS if not callable(getattr(store, m, None))]
    if missing or not callable(getattr(jobs.engine, "submit", None)):
        lacking = [f"store.{m}()" for m in missing]
        if not callable(getattr(jobs.engine, "submit", None)):
            lacking.append("submit()")
        errors.append(
            CheckMessage(
                "admin.E039",
                f"The jobs engine {jobs.engine!r} lacks {', '.join(lacking)}.",
                "pass a nitro.cqrs.jobs engine: Admin(jobs=current_engine()).",
            )
        )
    if not isinstance(jobs.slug, str) or not _SLUG.match(jobs.slug):
        errors.append(
            CheckMessage(
                "admin.E041",
                f"The slug {jobs.slug!r} of {name} must be lower-case letters, digits, "
                f"'-' and '_'.",
            )
        )
    for entity_admin in site.registry.values():
        if entity_admin.slug_value == jobs.slug:
            errors.append(
                CheckMessage(
                    "admin.E040",
                    f"{entity_admin.entity_cls.__name__} uses the URL slug {jobs.slug!r}, "
                    f"which is the jobs dashboard's.",
                    "give the entity another slug: register(..., slug='...'), or the "
                    "dashboard one: a JobsAdmin subclass with slug = '...'.",
                )
            )
    for option in ("recent_limit", "dead_limit", "queue_sample"):
        value = getattr(jobs, option)
        if type(value) is not int or not 1 <= value <= 10_000:
            errors.append(
                CheckMessage(
                    "admin.E042",
                    f"The value of '{option}' of {name} must be an int between 1 and 10000.",
                )
            )
    return errors
