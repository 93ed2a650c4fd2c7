"""Sending mail: the port the handlers and jobs use, a fake that records what it sent,
and the order confirmation itself."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from shop.domain import OrderLine

#: Where the fake mailer writes, unless ``ORDERS_MAIL_LOG`` says otherwise.
MAIL_LOG = "sent_mail.jsonl"


@runtime_checkable
class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str, key: str) -> None:
        """Send one mail; *key* identifies it (a provider's idempotency key).

        Raises :class:`ConnectionError` or :class:`TimeoutError` when the mail service
        cannot take it now: the background job tries again later.
        """


class RecordingMailer:
    """Sends nothing: appends each mail as one JSON line to *path*, so that a test, or
    another process, can read exactly what was sent and how often."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, *, to: str, subject: str, body: str, key: str) -> None:
        line = json.dumps(
            {"key": key, "to": to, "subject": subject, "body": body, "at": time.time()}
        )
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")

    def sent(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines()]


def default_mailer() -> RecordingMailer:
    """The mailer of a process given none: a :class:`RecordingMailer` writing to
    ``ORDERS_MAIL_LOG``, else ``sent_mail.jsonl`` in the working directory."""
    return RecordingMailer(os.environ.get("ORDERS_MAIL_LOG") or MAIL_LOG)


def send_confirmation_mail(
    mailer: Mailer,
    *,
    order_id: str,
    email: str,
    lines: Sequence[OrderLine],
    total_cents: int,
    key: str,
) -> None:
    """Mail the confirmation of an order; *key* goes with it as the idempotency key."""
    items = ", ".join(f"{line.quantity} x {line.product_id}" for line in lines)
    mailer.send(
        to=email,
        subject=f"Order {order_id} confirmed",
        body=f"Thank you! {items}; total {total_cents / 100:.2f}.",
        key=key,
    )
