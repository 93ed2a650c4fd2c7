"""The request side of :class:`~nitro.persistence.datastar_repo.DatastarRepo`: the
records one request brought from the browser, and the action middleware that provides
them and sends the request's writes back.

The records live in a context variable for the duration of one action request, so the
repository (one object per entity class, shared by every request) never mixes two
users' records; an async worker thread (``asyncio.to_thread``) copies the context and
sees the same records. Outside a request there are none: the repository raises
:class:`NoBrowserStore`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic_core import from_json, to_json

from nitro.persistence.errors import PersistenceError
from rusty_tags import datastar_json

__all__ = [
    "ID_PATTERN",
    "STORE_SIGNAL",
    "BrowserStore",
    "DatastarStore",
    "NoBrowserStore",
    "browser_store",
    "current_store",
    "encode",
]

logger = logging.getLogger("nitro.persistence")

#: The top-level signal holding every browser-stored record (no leading ``_``:
#: Datastar never sends those to the server).
STORE_SIGNAL = "nitro_store"
#: The ids a browser store accepts: safe as signal and storage keys (no ``__proto__``).
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}\Z")
_STASH = "_nitro_browser_store"
#: (version, the fields as JSON text, or None for a deletion)
_Record = tuple[int, str | None]


class NoBrowserStore(PersistenceError, RuntimeError):
    """A DatastarRepo was used where no browser sent its records: outside an action
    request, or in an app without the :class:`DatastarStore` middleware."""


class BrowserStore:
    """One request's records: those the browser sent, then the request's writes.

    *signals* is the ``nitro_store`` signal as received (anything else counts as
    empty). Records that do not parse are dropped: the browser is not trusted.
    """

    def __init__(self, signals: object = None) -> None:
        self._raw = signals if isinstance(signals, Mapping) else {}
        self._buckets: dict[str, dict[str, _Record]] = {}
        self._written: dict[str, set[str]] = {}
        self.lock = threading.RLock()

    def bucket(self, namespace: str) -> dict[str, _Record]:
        """The live records of one entity class (parsed on first use)."""
        with self.lock:
            bucket = self._buckets.get(namespace)
            if bucket is None:
                bucket = self._buckets[namespace] = _parse(self._raw.get(namespace))
            return bucket

    def write(self, namespace: str, entity_id: str, record: _Record) -> None:
        with self.lock:
            self.bucket(namespace)[entity_id] = record
            self._written.setdefault(namespace, set()).add(entity_id)

    def take_written(self) -> dict[str, dict[str, str]]:
        """The records written since the last call, encoded as the browser keeps them."""
        with self.lock:
            written, self._written = self._written, {}
            return {
                ns: {i: encode(self._buckets[ns][i]) for i in sorted(ids)}
                for ns, ids in written.items()
            }

    def take_event(self) -> str:
        """A ``datastar-patch-signals`` event for the records written since the last
        call, or ``""``. The one Datastar-safe encoder writes it (``datastar_json``)."""
        written = self.take_written()
        if not written:
            return ""
        text = datastar_json({STORE_SIGNAL: written})
        return f"event: datastar-patch-signals\ndata: signals {text}\n\n"


def _parse(raw: object) -> dict[str, _Record]:
    records: dict[str, _Record] = {}
    if not isinstance(raw, Mapping):
        return records
    for entity_id, text in raw.items():
        if not (
            isinstance(entity_id, str) and ID_PATTERN.match(entity_id) and isinstance(text, str)
        ):
            continue
        try:
            record = from_json(text)
        except ValueError:
            continue
        version = record.get("v") if isinstance(record, dict) else None
        if type(version) is not int or version < 0:
            continue
        fields = record.get("f")
        if isinstance(fields, dict):
            records[entity_id] = (version, to_json(fields).decode())
        elif record.get("d"):
            records[entity_id] = (version, None)
    return records


def encode(record: _Record) -> str:
    """The record as the browser keeps it: ``{"v":3,"f":{...}}`` or ``{"v":4,"d":1}``."""
    version, fields = record
    return f'{{"v":{version},"d":1}}' if fields is None else f'{{"v":{version},"f":{fields}}}'


_current: ContextVar[BrowserStore | None] = ContextVar("nitro_browser_store", default=None)


def current_store() -> BrowserStore | None:
    """The current request's records, or ``None`` outside a request."""
    return _current.get()


@contextmanager
def browser_store(signals: object = None) -> Iterator[BrowserStore]:
    """Act as one request whose browser sent *signals* (its ``nitro_store``): for tests
    and scripts. ``store.take_written()`` is what would be sent back."""
    store = BrowserStore(signals)
    token = _current.set(store)
    try:
        yield store
    finally:
        _current.reset(token)


class DatastarStore:
    """Action middleware: ``configure_app(app, middleware=[DatastarStore()])``.

    Before an action, it makes the records the browser sent the current ones; after
    it, the records the action wrote go back: appended as a ``datastar-patch-signals``
    event to an event-stream answer (streamed answers: after each chunk), or as a
    ``"nitro_store"`` key added to a JSON object answer (a plain client keeps its own
    store). Any other answer cannot carry them: they are dropped, with a warning.
    """

    def before_action(self, route: Any, request: Any) -> None:
        try:
            data = request.data
        except Exception:  # unreadable body: no records (the action will say why)
            data = {}
        store = BrowserStore(data.get(STORE_SIGNAL) if isinstance(data, Mapping) else None)
        # kept on the request itself: no shared table to clean up
        vars(request)[_STASH] = (store, _current.set(store))

    def after_action(self, route: Any, request: Any, response: Any) -> None:
        stash = vars(request).pop(_STASH, None)
        if stash is None:  # an earlier hook answered before ours ran
            return
        store, token = stash
        try:
            _current.reset(token)
        except ValueError:  # not the context it was set in
            _current.set(None)
        if response.stream is not None:
            response.stream = _follow(store, response.stream)
        elif response.astream is not None:
            response.astream = _afollow(store, response.astream)
        elif response.headers.get("Content-Type", "").startswith("text/event-stream"):
            response.body += store.take_event().encode()
        else:
            written = store.take_written()
            if written and not _add_to_json(response, written):
                logger.warning(
                    "%s: a %s answer cannot carry the browser's records", route, response.status
                )


def _add_to_json(response: Any, written: dict[str, Any]) -> bool:
    if not 200 <= response.status < 300 or response.content_type != "application/json":
        return False
    payload = from_json(response.body) if response.body else {}
    if not isinstance(payload, dict):
        return False
    payload[STORE_SIGNAL] = written
    response.body = to_json(payload)
    return True


def _follow(store: BrowserStore, stream: Iterator[str]) -> Iterator[str]:
    """A streamed answer runs the action while it is read: each step runs with the
    request's records, and what it wrote follows its chunk."""
    try:
        while True:
            token = _current.set(store)
            try:
                chunk = next(stream)
            except StopIteration:
                break
            finally:
                _current.reset(token)
            yield chunk + store.take_event()
        tail = store.take_event()
        if tail:
            yield tail
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


async def _afollow(store: BrowserStore, stream: AsyncIterator[str]) -> AsyncIterator[str]:
    try:
        while True:
            token = _current.set(store)
            try:
                chunk = await stream.__anext__()
            except StopAsyncIteration:
                break
            finally:
                _current.reset(token)
            yield chunk + store.take_event()
        tail = store.take_event()
        if tail:
            yield tail
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
