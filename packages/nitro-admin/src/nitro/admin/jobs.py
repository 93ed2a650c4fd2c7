"""The background-jobs dashboard: what it needs of a job engine, and its options.

nitro-admin does not import nitro-cqrs (members depend on nitro-core only): the
dashboard works with any object shaped like ``nitro.cqrs.jobs.Engine``: a ``store``
with ``counts``, ``recent``, ``dead_letters``, ``get``, ``revive`` and ``discard``, and
``submit(envelope)``. Pass the engine to the site:

.. code-block:: python

    from nitro.cqrs.jobs import current_engine

    admin = Admin(auth=..., jobs=current_engine())  # or admin.register_jobs(engine)

Permissions follow the entities' convention, with the dashboard's slug (``jobs``) in
place of an entity's: ``"jobs.view"`` shows the dashboard, ``"jobs.change"`` allows
Retry and Discard, ``"jobs.*"`` both; superusers hold them all. Subclass
:class:`JobsAdmin` and override :meth:`~JobsAdmin.has_view_permission` /
:meth:`~JobsAdmin.has_change_permission` to decide otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from nitro.admin.requests import AdminRequest
    from nitro.admin.site import Admin

__all__ = [
    "STATES",
    "STORE_METHODS",
    "JobsAdmin",
    "JobsEngine",
    "JobsEnvelope",
    "JobsRecord",
    "JobsStore",
]

#: The states of a job, in the order the dashboard shows them.
STATES = ("queued", "running", "done", "failed", "dead")
#: What the dashboard calls on ``engine.store`` (checked at mount, ``admin.E039``).
STORE_METHODS = ("counts", "recent", "dead_letters", "get", "revive", "discard")


class JobsEnvelope(Protocol):
    """One run of a job, as it travels through a queue (``nitro.cqrs.jobs.Envelope``)."""

    @property
    def id(self) -> str: ...
    @property
    def job(self) -> str: ...
    @property
    def args(self) -> Mapping[str, Any]: ...
    @property
    def queue(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def enqueued_at(self) -> float: ...


class JobsRecord(Protocol):
    """What the store knows of one job (``nitro.cqrs.jobs.JobRecord``)."""

    @property
    def envelope(self) -> JobsEnvelope: ...
    @property
    def id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def updated_at(self) -> float: ...
    @property
    def started_at(self) -> float | None: ...
    @property
    def finished_at(self) -> float | None: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def traceback(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...


class JobsStore(Protocol):
    """The part of ``nitro.cqrs.jobs.JobStore`` the dashboard uses. A store that
    cannot be reached raises :class:`nitro.persistence.BackendUnavailable` (the page
    then answers 503)."""

    def counts(self) -> Mapping[str, int]: ...
    def recent(self, limit: int = 50, state: str | None = None) -> Sequence[JobsRecord]: ...
    def dead_letters(self, limit: int = 50) -> Sequence[JobsRecord]: ...
    def get(self, job_id: str) -> JobsRecord | None: ...
    def revive(self, job_id: str) -> JobsEnvelope | None: ...
    def discard(self, job_id: str) -> bool: ...


@runtime_checkable
class JobsEngine(Protocol):
    """What ``Admin(jobs=...)`` accepts: a ``nitro.cqrs.jobs.Engine``, or anything
    with the same ``store`` and ``submit``."""

    @property
    def store(self) -> JobsStore: ...
    def submit(self, envelope: Any, delay: float = 0.0) -> None: ...


class JobsAdmin:
    """How the jobs dashboard appears; subclass it and pass
    ``admin.register_jobs(engine, MyJobsAdmin)`` to change it."""

    #: The dashboard's URL (``/admin/jobs``) and the permission names (``jobs.view``).
    slug: ClassVar[str] = "jobs"
    label: ClassVar[str] = "Background jobs"
    #: Rows of the recent-jobs table and of the dead-letter queue.
    recent_limit: ClassVar[int] = 50
    dead_limit: ClassVar[int] = 50
    #: How many of the most recently updated jobs the per-queue table counts.
    queue_sample: ClassVar[int] = 500

    def __init__(self, engine: JobsEngine, site: Admin) -> None:
        self.engine = engine
        self.site = site

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.engine!r}>"

    @property
    def store(self) -> JobsStore:
        return self.engine.store

    def has_view_permission(self, request: AdminRequest) -> bool:
        """See the dashboard: ``"<slug>.view"`` (``jobs.view``) or a superuser."""
        user = request.user
        return user is not None and user.has_perm(f"{self.slug}.view")

    def has_change_permission(self, request: AdminRequest) -> bool:
        """Retry and discard dead jobs: ``"<slug>.change"`` (``jobs.change``)."""
        user = request.user
        return user is not None and user.has_perm(f"{self.slug}.change")
