"""Sending mail: the port the handlers use, and a fake that records what it sent."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str, key: str) -> None:
        """Send one mail; *key* identifies it (a provider's idempotency key)."""


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
