"""``/healthz`` and ``/readyz``: what a load balancer or an orchestrator asks.

.. code-block:: python

    from nitro.health import Health

    mount(app, Health(Order, Customer, checks={"jobs": engine.ping}))

``GET /healthz`` answers 200 while the process serves requests; it checks nothing
else, so a database outage never gets the process restarted for nothing. ``GET
/readyz`` asks every store the app needs -- the repository of each entity class given,
and any extra *checks* -- at once, each within *timeout* seconds, and answers 200 when
all answer, 503 when one does not, with a JSON detail per check. The detail names the
check and the kind of failure (``ConnectionError``, ``timed out after 2 s``), never a
URL, a host or a message that could carry a password.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from nitro.actions.request import ActionResponse
from nitro.persistence.registry import repository_for
from nitro.web import WebRequest, WebRoute

__all__ = ["Health"]

Check = Callable[[], object]


class Health:
    """The two endpoints (see the module docs); mount it like any extension."""

    def __init__(
        self,
        *entities: type,
        checks: Mapping[str, Check] | None = None,
        timeout: float = 2.0,
        prefix: str = "",
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"Health(timeout=...) must be positive, not {timeout!r}")
        self.entities = entities
        self.extra: dict[str, Check] = dict(checks or {})
        for name, check in self.extra.items():
            if not callable(check):
                raise TypeError(f"Health check {name!r} is not callable: {check!r}")
        self.timeout = timeout
        self.prefix = prefix.rstrip("/")
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def web_routes(self) -> list[WebRoute]:
        return [
            WebRoute(("GET",), f"{self.prefix}/healthz", self.healthz, "nitro_healthz"),
            WebRoute(("GET",), f"{self.prefix}/readyz", self.readyz, "nitro_readyz"),
        ]

    def checks(self) -> dict[str, Check]:
        """Every check, by name: one per entity class (its repository's ``ping``), then
        the extra ones. Repositories are looked up on each call, so a backend swapped
        in a test or at start-up is the one asked."""
        found: dict[str, Check] = {
            entity.__name__: repository_for(entity).ping for entity in self.entities
        }
        found.update(self.extra)
        return found

    def healthz(self, request: WebRequest) -> ActionResponse:
        return ActionResponse.json({"status": "alive"})

    def readyz(self, request: WebRequest) -> ActionResponse:
        report = self.report()
        ready = all(entry["ok"] for entry in report.values())
        body = {"status": "ready" if ready else "not ready", "checks": report}
        return ActionResponse.json(body, 200 if ready else 503)

    def report(self) -> dict[str, dict[str, Any]]:
        """Run every check at once; each gets *timeout* seconds from the start."""
        checks = self.checks()
        if not checks:
            return {}
        started = time.monotonic()
        pool = self._executor(len(checks))
        futures = {name: pool.submit(_timed, check) for name, check in checks.items()}
        report: dict[str, dict[str, Any]] = {}
        for name, future in futures.items():
            left = max(0.0, self.timeout - (time.monotonic() - started))
            try:
                report[name] = {"ok": True, "ms": round(future.result(timeout=left), 1)}
            except FutureTimeout:
                report[name] = {"ok": False, "error": f"timed out after {self.timeout:g} s"}
            except Exception as error:  # only its kind: a message may hold a URL
                report[name] = {"ok": False, "error": type(error).__name__}
        return report

    def _executor(self, size: int) -> ThreadPoolExecutor:
        # One pool per Health: a check stuck on a silent server holds a thread until
        # its own socket timeout, and the next probe still finds free ones.
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=max(4, 2 * size), thread_name_prefix="nitro-health"
                )
            return self._pool


def _timed(check: Check) -> float:
    started = time.perf_counter()
    check()
    return (time.perf_counter() - started) * 1000
