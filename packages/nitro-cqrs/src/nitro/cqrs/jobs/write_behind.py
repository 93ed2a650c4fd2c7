"""Store writes nobody waits for, sent with the next round trip or within a moment.

A worker records "done" after every job and an enqueuing process records "queued"
before every send. Neither caller uses an answer, and a round trip each would cost
more than a short job itself. So these writes wait here: the next call that talks to
Redis anyway (a job's start, a read of the dashboard) sends them in its pipeline, and a
thread sends what is left after *delay* seconds. A worker flushes before it exits.

Nothing here may be lost silently: a write that cannot be sent goes back to the front
of the line and is tried again; :meth:`WriteBehind.flush` raises when Redis is down.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Any

import redis

__all__ = ["WriteBehind"]

logger = logging.getLogger("nitro.jobs")

#: One pending script call: the script's text, its keys, its arguments.
Call = tuple[str, list[str], list[Any]]


class WriteBehind:
    """Script calls waiting to be sent to *client* (see the module docs)."""

    def __init__(self, client: redis.Redis, *, delay: float = 0.05) -> None:
        self.client = client
        self.delay = delay
        self._shas: dict[str, str] = {}
        self._reset()
        ref = weakref.ref(self)
        # A forked worker starts with no thread and no lock held by one.
        os.register_at_fork(after_in_child=lambda: (me := ref()) is not None and me._reset())

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._calls)

    def add(self, script: str, keys: list[str], args: list[Any]) -> None:
        with self._lock:
            self._calls.append((script, keys, args))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="nitro-job-writes", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def send(self, call: Call | None = None) -> Any:
        """Send what waits, and then *call*, in one round trip; *call*'s answer. On a
        connection error the waiting writes go back to the line and the error is
        raised."""
        with self._lock:
            calls, self._calls = self._calls, []
        if call is not None:
            calls.append(call)
        if not calls:
            return None
        try:
            answers = self._run(calls)
        except (redis.ConnectionError, redis.TimeoutError):
            with self._lock:
                self._calls[:0] = calls[:-1] if call is not None else calls
            raise
        return answers[-1] if call is not None else None

    def _run(self, calls: list[Call]) -> list[Any]:
        """The answers of *calls*, by the scripts' digests (each script's text is sent
        once per Redis: again after a restart or ``SCRIPT FLUSH`` wiped it)."""
        for _ in range(2):
            try:
                if len(calls) == 1:  # a pipeline costs more than one plain command
                    script, keys, args = calls[0]
                    return [self.client.evalsha(self._sha(script), len(keys), *keys, *args)]
                pipe = self.client.pipeline(transaction=False)
                for script, keys, args in calls:
                    pipe.evalsha(self._sha(script), len(keys), *keys, *args)
                return pipe.execute()
            except redis.exceptions.NoScriptError:
                # Redis forgot every script at once, so none of *calls* ran.
                self._shas.clear()
        raise RuntimeError("Redis keeps forgetting the job store's scripts")

    def _sha(self, script: str) -> str:
        sha = self._shas.get(script)
        if sha is None:
            sha = self._shas[script] = str(self.client.script_load(script))
        return sha

    def flush(self) -> None:
        """Send every waiting write now (raises when Redis cannot be reached)."""
        self.send()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            time.sleep(self.delay)  # let a few writes gather
            try:
                self.send()
            except redis.RedisError as exc:
                logger.warning("job store writes wait for Redis (%d): %s", len(self), exc)
                time.sleep(1.0)
                self._wake.set()
