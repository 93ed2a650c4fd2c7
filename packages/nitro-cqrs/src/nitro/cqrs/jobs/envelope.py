"""What travels through a queue: one JSON document per run of a job."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nitro.ids import new_id

__all__ = ["Envelope", "JobRef"]


class Envelope(BaseModel):
    """A run of a job: which job, its JSON arguments, and its delivery state.

    :attr:`id` names the job across its retries (the dedupe record and the dashboard
    use it); :attr:`attempt` counts runs from 1.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(default_factory=new_id)
    job: str
    args: dict[str, Any] = {}
    queue: str = "default"
    key: str | None = None
    key_ttl: float = 24 * 3600.0
    attempt: int = 1
    enqueued_at: float = Field(default_factory=time.time)

    def next_attempt(self) -> Envelope:
        return self.model_copy(update={"attempt": self.attempt + 1})

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        return cls.model_validate_json(text)


class JobRef(BaseModel):
    """What ``enqueue`` returns: the job's id, and whether this call sent it (``False``
    when its idempotency key was already used, or while it waits for a commit)."""

    model_config = ConfigDict(frozen=True)

    id: str
    job: str
    sent: bool
    deferred: bool = False
