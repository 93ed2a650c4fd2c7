"""Through what the changes in progress are made (``via``), for the audit log.

Separate from :mod:`nitro.audit` so the dispatcher, the admin, the bus and the job
runner can label their work without importing the log itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["current_via", "via"]

_via: ContextVar[str] = ContextVar("nitro_audit_via", default="code")

#: Whether any class is audited (``nitro.audit.enable``): until then the dispatcher
#: skips labelling requests.
recording = False


def current_via() -> str:
    """The label of the code making changes now (``via(...)``), recorded with each audit entry."""
    return _via.get()


@contextmanager
def via(label: str) -> Iterator[None]:
    """Label the changes made in the block (``via("job send_mail")``)."""
    token = _via.set(label)
    try:
        yield
    finally:
        _via.reset(token)
