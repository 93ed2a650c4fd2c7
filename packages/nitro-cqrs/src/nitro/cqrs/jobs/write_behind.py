"""Store writes nobody waits for, sent with the next round trip or within a moment.

A worker records "done" after every job and an enqueuing process records "queued"
before every send. Neither caller uses an answer, and a round trip each would cost
more than a short job itself. So these writes wait here, and go in batches: one script
call carries every waiting record of that script. The next call that talks to Redis
anyway (a job's start, a read of the dashboard) sends them in its pipeline, and a
thread sends what is left after *delay* seconds. A worker flushes before it exits.

Nothing here is lost silently: writes that cannot be sent go back to the line and are
tried again; :meth:`WriteBehind.flush` raises when Redis is down.

The scripts take no keys: their arguments are *head* (the store's prefix) and then
the records, each a fixed number of values.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import weakref
from typing import Any

import redis

__all__ = ["WriteBehind"]

logger = logging.getLogger("nitro.jobs")

#: Records per script call: a batch keeps Redis busy well under a millisecond.
BATCH = 200


class WriteBehind:
    """Script records waiting to be sent to *client* (see the module docs)."""

    def __init__(self, client: redis.Redis, *head: Any, delay: float = 0.05) -> None:
        self.client = client
        self.head = list(head)
        self.delay = delay
        self._shas: dict[str, str] = {}
        self._reset()
        ref = weakref.ref(self)

        def after_fork() -> None:  # a forked worker starts with no thread, no lock held
            me = ref()
            if me is not None:
                me._reset()

        os.register_at_fork(after_in_child=after_fork)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        # script -> its records, in order, by key (given, or a number of their own)
        self._waiting: dict[str, dict[Any, list[Any]]] = {}
        self._numbers = itertools.count()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()  # (each thread gets its own)

    def __bool__(self) -> bool:
        return bool(self._waiting)

    def add(self, script: str, record: list[Any], key: Any = None) -> None:
        """Send *record* with the next batch of *script*; with *key*, it can be taken
        back (:meth:`take`) while it waits."""
        with self._lock:
            if key is None:
                key = ("#", next(self._numbers))
            self._waiting.setdefault(script, {})[key] = record
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._loop, args=(self._stop,), name="nitro-job-writes", daemon=True
                )
                self._thread.start()
        if not self._wake.is_set():  # (setting it takes its lock: once per batch)
            self._wake.set()

    def take(self, script: str, key: Any) -> list[Any] | None:
        """The record added with *key* for *script*, no longer to be sent; ``None`` when
        it has gone already (a later write can then carry what it would have done)."""
        with self._lock:
            records = self._waiting.get(script)
            if not records:
                return None
            record = records.pop(key, None)
            if not records:
                del self._waiting[script]
            return record

    def send(self, script: str | None = None, record: list[Any] | None = None) -> Any:
        """Send what waits and then *script* with *record*, in one round trip; the
        script's answer. On a connection error the waiting writes go back to the line
        and the error is raised."""
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        calls = []
        for name, keyed in waiting.items():
            records = list(keyed.values())
            calls += [
                (name, [value for record in records[i : i + BATCH] for value in record])
                for i in range(0, len(records), BATCH)
            ]
        if script is not None:
            calls.append((script, record or []))
        if not calls:
            return None
        try:
            answers = self._run(calls)
        except redis.ResponseError:
            raise  # Redis ran the calls and refused one: sending again would not help
        except Exception as exc:
            # The connection failed; redis-py may say so with a ConnectionError, or with
            # an OSError/ValueError from a socket closed under it. Keep the writes.
            with self._lock:
                for name, added in self._waiting.items():  # (added while sending)
                    waiting.setdefault(name, {}).update(added)
                self._waiting = waiting
            if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
                raise
            raise redis.ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        return answers[-1] if script is not None else None

    def flush(self) -> None:
        """Send every waiting write now (raises when Redis cannot be reached)."""
        self.send()

    def _run(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """The answers of *calls*, by the scripts' digests (each script's text is sent
        once per Redis: again after a restart or ``SCRIPT FLUSH`` wiped it)."""
        for _ in range(2):
            try:
                if len(calls) == 1:  # a pipeline costs more than one plain command
                    script, record = calls[0]
                    return [self.client.evalsha(self._sha(script), 0, *self.head, *record)]
                pipe = self.client.pipeline(transaction=False)
                for script, record in calls:
                    pipe.evalsha(self._sha(script), 0, *self.head, *record)
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

    def close(self) -> None:
        """Stop the thread that sends late writes (a store being closed flushes first);
        a later :meth:`add` starts another."""
        with self._lock:
            thread, self._thread = self._thread, None
            stop = self._stop
        if thread is not None:
            stop.set()
            self._wake.set()
            thread.join(timeout=5)

    def _loop(self, stop: threading.Event) -> None:
        while True:
            self._wake.wait()
            if stop.is_set():
                return
            self._wake.clear()
            time.sleep(self.delay)  # let a few writes gather
            try:
                self.send()
            except Exception as exc:  # this thread must outlive any failure
                logger.warning("job store writes wait for Redis: %s", exc)
                time.sleep(1.0)
                if self:
                    self._wake.set()
