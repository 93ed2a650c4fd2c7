"""``Admin``: one admin site: its registry, its settings and its routes.

Setup (``register``) happens before the site is mounted; mounting
(``mount(app, admin)`` from an adapter, which calls :meth:`Admin.web_routes`) runs
the checks and freezes the registry, as Flask freezes its setup after the first
request. All state lives on the site object, so two sites in one process (and tests)
share nothing.
"""

from __future__ import annotations

import difflib
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from nitro import plugins
from nitro.admin._login_sessions import LoginSessionsMixin
from nitro.admin._routing import RoutingMixin
from nitro.admin._routing import View as View
from nitro.admin.auth import AdminSessionAuth, AdminUser, AuthBackend
from nitro.admin.checks import CheckMessage, run_checks
from nitro.admin.csrf import CsrfProtection
from nitro.admin.errors import (
    AdminConfigurationError,
    AlreadyMounted,
    AlreadyRegistered,
    NotRegistered,
)
from nitro.admin.jobs import JobsAdmin, JobsEngine
from nitro.admin.options import OPTION_NAMES, EntityAdmin
from nitro.admin.requests import AdminRequest
from nitro.auth import Authenticator, User
from nitro.auth.cookies import SessionCookie
from nitro.auth.login import SessionAuth
from nitro.auth.proxies import TrustedProxies
from nitro.auth.signing import Signer
from nitro.persistence.base import BackendFactory, Repository
from nitro.sessions import MemorySessionStore, RepositorySessionStore, SessionRecord, SessionStore
from nitro.throttle import CounterStore, LoginThrottle
from nitro.web import WebRoute

__all__ = ["SECRET_KEY_ENV", "Admin"]

logger = logging.getLogger("nitro.admin")

#: The environment variable read for the admin's secret key (signs its session cookies) when
#: ``Admin(secret_key=)`` is not given.
SECRET_KEY_ENV = "NITRO_ADMIN_SECRET_KEY"
#: ``(user, permission, entity_admin) -> bool``; the user is the one the auth backend
#: loaded: an ``AdminUser`` from ``PasswordAuth([AdminUser(...)])``, any
#: ``nitro.auth.User`` from another backend (so hooks typed either way are accepted).
PermissionHook = Callable[[Any, str, EntityAdmin], bool]


class Admin(LoginSessionsMixin, RoutingMixin):
    """An admin site, served under *prefix* once mounted with ``mount(app, admin)``.

    :param auth: who may log in (:class:`~nitro.admin.PasswordAuth` or any
        :class:`~nitro.admin.AuthBackend`), or the app's :class:`nitro.auth.SessionAuth`
        for one login shared with the app's actions: its users, session store, secret
        key and cookie then serve the admin too (so *secret_key*, *session_store*,
        *session_repository*, *session_cookie_path*, *session_max_age*,
        *secure_cookies* and *trusted_proxies* are not given here). Required unless
        *insecure_dev*.
    :param secret_key: signs the session cookies; default: the ``NITRO_ADMIN_SECRET_KEY``
        environment variable, read when the admin is mounted. At least 32 characters.
    :param insecure_dev: serve without login, everyone a superuser. For a local
        development run only; the admin refuses to mount without *auth* otherwise.
    :param has_permission: ``(user, permission, entity_admin) -> bool``, the
        per-entity permission hook (permission is "view", "add", "change" or "delete");
        default: :meth:`AdminUser.has_perm <nitro.admin.AdminUser.has_perm>`.
    :param secure_cookies: ``None`` (default) marks cookies ``Secure`` except over
        plain http on a direct connection from this machine (local development); see
        *trusted_proxies*. ``True``/``False`` forces it.
    :param session_max_age: seconds a login lasts (8 hours by default).
    :param session_cookie_path: where the browser sends the session cookie; default the
        admin's prefix. ``"/"`` lets the app's actions know the admin user (see
        :meth:`authenticator`).
    :param session_store: where the server-side session records live (a
        :class:`nitro.sessions.SessionStore`); default: this process's memory.
    :param session_repository: shortcut for a
        :class:`~nitro.sessions.RepositorySessionStore`: a repository of
        :class:`~nitro.sessions.SessionRecord` or a backend factory
        (``functools.partial(RedisRepo, url=...)``, ``SQLModelBackend``). Use one when
        several processes serve the admin, so a logout ends the session in all of them.
    :param login_throttle: ``True`` (default) throttles failed logins per username and
        per client address with :class:`nitro.throttle.LoginThrottle`'s defaults; a
        ``LoginThrottle`` sets its own limits; ``False`` turns throttling off.
    :param throttle_store: where the throttle's counters live (a
        :class:`nitro.throttle.CounterStore`, e.g. ``nitro.redis.RedisCounterStore``
        so the limit holds across instances); default: this process's memory.
    :param trusted_proxies: addresses or networks of reverse proxies whose
        ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed; default: the
        comma-separated ``NITRO_TRUSTED_PROXIES`` environment variable, read at mount.
    :param trusted_origins: other origins allowed to post forms (behind a proxy that
        rewrites ``Host``).
    :param allowed_hosts: host names forms may be posted to (``"example.com"``,
        ``".example.com"`` with subdomains, ``"*"``); default: the comma-separated
        ``NITRO_ALLOWED_HOSTS``, read at mount, else loopback names. Required when the
        admin is served on a non-loopback address (see :mod:`nitro.actions.hosts`).
    :param datastar_src: where pages load the Datastar client from (default: the
        app's own copy when ``configure_app(app, datastar_js=...)`` or
        ``NITRO_DATASTAR_JS`` set one, else ``RUSTY_TAGS_DATASTAR_SRC``, else the CDN).
    :param unit_of_work: a factory of units of work (``nitro.sql.UnitOfWork``,
        ``nitro.uow.MemoryUnitOfWork``...): a form's entity and its inline rows are then
        saved in one unit, all or nothing. Without it they are saved one by one.
    :param jobs: a job engine (``nitro.cqrs.jobs.current_engine()``, or anything shaped
        like :class:`~nitro.admin.jobs.JobsEngine`): adds the background-jobs
        dashboard at ``<prefix>/jobs`` (same as :meth:`register_jobs`).
    """

    #: Swap collaborators without subclassing the site.
    entity_admin_class: type[EntityAdmin] = EntityAdmin
    session_cookie_class: type[SessionCookie] = SessionCookie
    csrf_class: type[CsrfProtection] = CsrfProtection
    jobs_admin_class: type[JobsAdmin] = JobsAdmin

    def __init__(
        self,
        prefix: str = "/admin",
        *,
        auth: AuthBackend | SessionAuth | None = None,
        secret_key: str | None = None,
        insecure_dev: bool = False,
        title: str = "Nitro admin",
        has_permission: PermissionHook | None = None,
        secure_cookies: bool | None = None,
        session_max_age: int | None = None,
        session_cookie_path: str | None = None,
        session_store: SessionStore[SessionRecord] | None = None,
        session_repository: Repository[SessionRecord] | BackendFactory | None = None,
        login_throttle: LoginThrottle | bool = True,
        throttle_store: CounterStore | None = None,
        trusted_proxies: Sequence[str] | None = None,
        trusted_origins: Sequence[str] = (),
        allowed_hosts: Sequence[str] | None = None,
        datastar_src: str | None = None,
        unit_of_work: Callable[[], Any] | None = None,
        jobs: JobsEngine | None = None,
    ) -> None:
        prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.prefix = prefix
        #: The app's login, when ``auth=`` was a :class:`~nitro.auth.SessionAuth`.
        self.shared_login: SessionAuth | None = None
        if isinstance(auth, SessionAuth):
            given = {
                "secret_key": secret_key,
                "session_store": session_store,
                "session_repository": session_repository,
                "session_cookie_path": session_cookie_path,
                "session_max_age": session_max_age,
                "secure_cookies": secure_cookies,
                "trusted_proxies": trusted_proxies,
            }
            clashes = [name for name, value in given.items() if value is not None]
            if login_throttle is not True or throttle_store is not None:
                clashes.append("login_throttle")  # SessionAuth(throttle=...) decides
            if clashes:
                raise TypeError(
                    f"Admin(auth=SessionAuth(...)) takes its login settings from the "
                    f"SessionAuth; drop {', '.join(f'{n}=' for n in clashes)} (or set them "
                    f"on the SessionAuth)"
                )
            shared = self.shared_login = auth
            auth, secret_key, session_store = shared.users, shared.secret_key, shared.store
            session_max_age = shared.max_age
        self.auth: AuthBackend | None = auth
        self.secret_key = secret_key
        self.insecure_dev = insecure_dev
        self.title = title
        self._has_permission = has_permission
        self.secure_cookies = secure_cookies
        self.session_max_age = 8 * 3600 if session_max_age is None else session_max_age
        #: Where the browser sends the session cookie (default: below the admin only).
        self.session_cookie_path = session_cookie_path
        if session_store is not None and session_repository is not None:
            raise TypeError("Admin() takes session_store= or session_repository=, not both")
        if session_repository is not None:
            session_store = RepositorySessionStore(session_repository)
        self.session_store: SessionStore[Any] = session_store or MemorySessionStore()
        if self.shared_login is not None:
            self.login_throttle: LoginThrottle | None = self.shared_login.throttle
        elif isinstance(login_throttle, LoginThrottle):
            if throttle_store is not None:
                raise TypeError(
                    "Admin() got a LoginThrottle and throttle_store=; pass the store to "
                    "LoginThrottle(store=...) instead"
                )
            self.login_throttle = login_throttle
        elif login_throttle is True:
            self.login_throttle = (
                LoginThrottle(store=throttle_store) if throttle_store else LoginThrottle()
            )
        elif login_throttle is False or login_throttle is None:
            self.login_throttle = None
        else:
            raise TypeError(
                f"login_throttle must be a LoginThrottle or a bool, got {login_throttle!r}"
            )
        self.trusted_proxies = None if trusted_proxies is None else tuple(trusted_proxies)
        self.trusted_origins = tuple(trusted_origins)
        self.allowed_hosts = None if allowed_hosts is None else tuple(allowed_hosts)
        self.datastar_src = datastar_src
        self.unit_of_work = unit_of_work
        self.registry: dict[type[Any], EntityAdmin] = {}
        #: The background-jobs dashboard, once :meth:`register_jobs` was called.
        self.jobs_admin: JobsAdmin | None = None
        self._routes: list[WebRoute] | None = None
        if jobs is not None:
            self.register_jobs(jobs)

    def __repr__(self) -> str:
        return f"<Admin {self.prefix or '/'} with {len(self.registry)} entities>"

    # -- setup ------------------------------------------------------------------------

    def register(
        self,
        entity_cls: type[Any],
        admin_class: type[EntityAdmin] | None = None,
        **options: Any,
    ) -> EntityAdmin:
        """Show *entity_cls* in the admin, with options as keywords or an
        :class:`~nitro.admin.EntityAdmin` subclass (or both: keywords win).

        Options are checked when the admin is mounted. Must be called before
        ``mount(app, admin)``.

        :raises AlreadyRegistered: the class is registered on this site already.
        :raises AlreadyMounted: the site was mounted already.
        :raises TypeError: an unknown option (with the closest known name).
        """
        self._check_not_mounted(f"register({entity_cls.__name__})")
        if entity_cls in self.registry:
            raise AlreadyRegistered(
                f"{entity_cls.__name__} is already registered on {self!r}; register each "
                f"class once (unregister() it first to replace its options)"
            )
        if not hasattr(entity_cls, "model_fields") or not hasattr(entity_cls, "query"):
            raise TypeError(f"register() takes a nitro Entity class, got {entity_cls!r}")
        for name in options:
            if name not in OPTION_NAMES:
                close = difflib.get_close_matches(name, OPTION_NAMES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise TypeError(f"register() got an unknown option {name!r}{hint}")
        base = admin_class or self.entity_admin_class
        if not (isinstance(base, type) and issubclass(base, EntityAdmin)):
            raise TypeError(f"admin_class must be an EntityAdmin subclass, got {base!r}")
        cls = type(f"{entity_cls.__name__}Admin", (base,), dict(options)) if options else base
        entity_admin: EntityAdmin = cls(entity_cls, self)
        self.registry[entity_cls] = entity_admin
        return entity_admin

    def register_jobs(
        self, engine: JobsEngine, admin_class: type[JobsAdmin] | None = None
    ) -> JobsAdmin:
        """Add the background-jobs dashboard for *engine* (``nitro.cqrs.jobs.Engine``
        or any :class:`~nitro.admin.jobs.JobsEngine`): counts per state, recent jobs
        and the dead-letter queue with Retry and Discard, at ``<prefix>/jobs``.

        Must be called before ``mount(app, admin)``; the engine is checked then.

        :raises AlreadyRegistered: the site has a jobs dashboard already.
        :raises AlreadyMounted: the site was mounted already.
        """
        self._check_not_mounted("register_jobs()")
        if self.jobs_admin is not None:
            raise AlreadyRegistered(
                f"{self!r} already has a jobs dashboard (for {self.jobs_admin.engine!r}); "
                f"register one engine per site"
            )
        base = admin_class or self.jobs_admin_class
        if not (isinstance(base, type) and issubclass(base, JobsAdmin)):
            raise TypeError(f"admin_class must be a JobsAdmin subclass, got {base!r}")
        self.jobs_admin = base(engine, self)
        return self.jobs_admin

    def unregister(self, entity_cls: type[Any]) -> None:
        self._check_not_mounted(f"unregister({entity_cls.__name__})")
        if entity_cls not in self.registry:
            raise NotRegistered(f"{entity_cls.__name__} is not registered on {self!r}")
        del self.registry[entity_cls]

    def _check_not_mounted(self, call: str) -> None:
        if self._routes is not None:
            raise AlreadyMounted(
                f"admin.{call} was called after the admin was mounted; register every "
                f"entity before mount(app, admin), e.g. in the module that creates the admin"
            )

    def check(self) -> list[CheckMessage]:
        """Every configuration problem (empty when the admin is ready to mount)."""
        return run_checks(self)

    def resolve_secret_key(self) -> str | None:
        if self.secret_key is not None:
            return self.secret_key
        key = os.environ.get(SECRET_KEY_ENV)
        if key:
            return key
        if self.insecure_dev:
            return self._dev_key
        return None

    @property
    def _dev_key(self) -> str:
        key: str | None = self.__dict__.get("_dev_key_value")
        if key is None:
            key = self.__dict__["_dev_key_value"] = secrets.token_urlsafe(32)
        return key

    # -- mounting ---------------------------------------------------------------------

    def web_routes(self) -> list[WebRoute]:
        """Check the configuration and return the routes (called by ``mount``).

        :raises AdminConfigurationError: listing every problem found.
        """
        if self._routes is not None:
            return list(self._routes)
        plugins.call("admin_mounted", self)  # installed plugins may register entities
        messages = self.check()
        if messages:
            raise AdminConfigurationError(messages)
        key = self.resolve_secret_key()
        assert key is not None  # the checks made sure
        self.__dict__.pop("_session_auth", None)  # built again from the settings as they are
        login = self.session_auth
        self.proxies: TrustedProxies = login.proxies
        #: The session cookie (the login's).
        self.sessions: SessionCookie = login.cookie
        self.csrf = self.csrf_class(key, self.trusted_origins, allowed_hosts=self.allowed_hosts)
        self.flash_signer = Signer(key, "flash")
        if self.insecure_dev and self.auth is None:
            logger.warning(
                "nitro.admin: insecure_dev=True, the admin at %s has no login", self.prefix
            )
        self._routes = self._build_routes()
        return list(self._routes)

    def authenticator(self) -> Authenticator:
        """An authenticator for ``configure_app(app, auth=...)``: the app's actions see
        the user logged in to this admin (with ``session_cookie_path="/"``), and
        ``@action(permission="order.change")`` uses the same grants as the admin.

        With ``Admin(auth=session_auth)`` it is that :class:`~nitro.auth.SessionAuth`."""
        if self.shared_login is not None:
            return self.shared_login
        return AdminSessionAuth(self)

    @property
    def mounted(self) -> bool:
        return self._routes is not None

    # -- per request ------------------------------------------------------------------

    def has_permission(self, user: User, permission: str, entity_admin: EntityAdmin) -> bool:
        if self._has_permission is not None:
            return bool(self._has_permission(user, permission, entity_admin))
        slug = entity_admin.slug_value
        if isinstance(user, AdminUser):  # its has_perm may be overridden for the admin
            return user.has_perm(permission, slug)
        return user.has_perm(f"{slug}.{permission}")

    def visible_admins(self, request: AdminRequest) -> Iterable[EntityAdmin]:
        return [a for a in self.registry.values() if a.has_view_permission(request)]
