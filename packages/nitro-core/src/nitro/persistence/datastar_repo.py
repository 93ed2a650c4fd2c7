"""DatastarRepo: entities kept in the user's browser (localStorage or sessionStorage).

For per-user UI state -- preferences, a draft, collapsed panels -- the server has no
reason to store anything: the browser keeps the records, sends them with every action
(Datastar sends all signals), and the action's writes go back to it as one
``datastar-patch-signals`` event. Datastar 1.0's persist plugin is a Pro feature, so
the glue that copies the signals to and from Web Storage is generated here, from
Python, as plain Datastar attributes (:meth:`DatastarRepo.attributes`).

Signals layout (``STORE_SIGNAL``)::

    {"nitro_store": {"Prefs": {"me": "{\\"v\\":3,\\"f\\":{\\"id\\":\\"me\\",...}}"}}}

* no leading ``_``: Datastar never sends ``_``-prefixed signals (or keys) to the server;
* each record is one JSON *string* (``v``: version, ``f``: the entity's signals, or
  ``d: 1`` for a deletion): a patch replaces it whole, where Datastar would merge an
  object key by key, and no key of the user's data ever becomes a signal name;
* ids are restricted to ``[A-Za-z0-9][A-Za-z0-9_-]{0,127}`` (no ``__proto__``).

Conflicts: the server writes ``v + 1``; the browser keeps, per id, the record with the
higher ``v``, and on a tie the larger JSON text, so every tab picks the same one.
Everything from the browser is untrusted input: records are validated as the entity and
a record that does not validate reads as absent. See docs/datastar-repo.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any, Literal, TypeVar

from pydantic_core import from_json, to_json

from nitro.persistence._browser_store import (
    ID_PATTERN,
    STORE_SIGNAL,
    BrowserStore,
    DatastarStore,
    NoBrowserStore,
    browser_store,
    current_store,
    encode,
)
from nitro.persistence.base import EntityLike, Repository
from nitro.persistence.errors import UnsupportedOperation
from nitro.persistence.query import Query, check_ttl
from nitro.persistence.versioning import VERSION_FIELD, accepts, conflict, is_versioned, mark_saved
from nitro.signals import signals_namespace
from rusty_tags import datastar_json, js_string

__all__ = [
    "STORE_SIGNAL",
    "BrowserStore",
    "DatastarRepo",
    "DatastarStore",
    "NoBrowserStore",
    "browser_store",
]

E = TypeVar("E", bound=EntityLike)
logger = logging.getLogger("nitro.persistence")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
_STORAGES = {"local": "localStorage", "session": "sessionStorage"}


def _fields_json(entity: Any) -> str:
    # The entity's signals, exactly: the glue copies them into $Prefs on the page.
    return bytes(entity.__pydantic_serializer__.to_json(entity)).decode()


def _check_key(entity_id: str) -> str:
    if not ID_PATTERN.match(entity_id):
        raise ValueError(
            f"id {entity_id!r} cannot be a browser-store key: use 1-128 letters, digits, "
            f"'-' or '_', starting with a letter or digit"
        )
    return entity_id


def _namespace(entity_cls: type[Any]) -> str:
    namespace = signals_namespace(entity_cls)
    if not _NAME.match(namespace):
        raise ValueError(f"{namespace!r} cannot name a browser store: use letters, digits, '_'")
    return namespace


class DatastarRepo(Repository[E]):
    """Stores the entities of one class in the calling user's browser.

    Every operation works on the current request's records (see :class:`DatastarStore`)
    and raises :class:`NoBrowserStore` elsewhere. No TTL, no transaction beyond the
    request, and queries only ever see this one browser's records.
    """

    supports_ttl = False
    observed = False  # no I/O: a dict in the request

    def __init__(self, entity_cls: type[E]) -> None:
        super().__init__(entity_cls)
        self.namespace = _namespace(entity_cls)
        self._fields = frozenset(entity_cls.__pydantic_fields__)
        self._versioned = is_versioned(entity_cls)

    def _store(self) -> BrowserStore:
        store = current_store()
        if store is None:
            raise NoBrowserStore(
                f"{self!r} keeps its records in the browser: use it inside an action "
                f"request of an app configured with middleware=[DatastarStore()] "
                f"(or inside nitro.persistence.datastar_repo.browser_store() in tests)"
            )
        return store

    def _restore(self, entity_id: str, fields: str) -> E | None:
        data = {k: v for k, v in from_json(fields).items() if k in self._fields}
        data["id"] = entity_id  # the key decides: a record cannot claim another id
        try:
            return self.entity_cls.model_validate(data)  # type: ignore[attr-defined,no-any-return]
        except ValueError as error:  # tampered or from an older schema: absent
            logger.warning("%r: ignoring the browser's record %r: %s", self, entity_id, error)
            return None

    def save(self, entity: E, ttl: float | None = None) -> bool:
        self.check_entity(entity)
        if check_ttl(ttl) is not None:
            raise UnsupportedOperation(f"{self!r} has no expiry: the browser keeps records")
        entity_id = _check_key(entity.id)
        store = self._store()
        fields = _fields_json(entity)
        with store.lock:
            old = store.bucket(self.namespace).get(entity_id)
            if self._versioned:
                expected: int = getattr(entity, VERSION_FIELD)
                found = None
                if old is not None and old[1] is not None:
                    found = int(from_json(old[1]).get(VERSION_FIELD, 0))
                if not accepts(expected, found):
                    raise conflict(self.entity_cls, entity_id, expected, found)
                values = from_json(fields)
                values[VERSION_FIELD] = expected + 1
                fields = to_json(values).decode()
            store.write(self.namespace, entity_id, ((old[0] if old else 0) + 1, fields))
        if self._versioned:
            mark_saved(entity, expected + 1)
        return True

    def get(self, entity_id: str) -> E | None:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        record = self._store().bucket(self.namespace).get(entity_id)
        if record is None or record[1] is None:
            return None
        return self._restore(entity_id, record[1])

    def delete(self, entity_id: str) -> bool:
        if type(entity_id) is not str:
            self.check_id(entity_id)
        store = self._store()
        with store.lock:
            old = store.bucket(self.namespace).get(entity_id)
            if old is None or old[1] is None:
                return False
            # a tombstone, so that no tab brings the record back from its copy
            store.write(self.namespace, entity_id, (old[0] + 1, None))
        return True

    def find(self, query: Query) -> list[E]:
        query.check_fields(self.entity_cls)
        store = self._store()
        with store.lock:
            rows = sorted(store.bucket(self.namespace).items())
        entities = [self._restore(i, fields) for i, (_, fields) in rows if fields is not None]
        return query.apply(e for e in entities if e is not None)

    def clear(self) -> None:
        store = self._store()
        with store.lock:
            for entity_id in list(store.bucket(self.namespace)):
                self.delete(entity_id)

    # Nothing blocks: the async twins run inline (and keep the request's context).

    async def asave(self, entity: E, ttl: float | None = None) -> bool:
        return self.save(entity, ttl)

    async def aget(self, entity_id: str) -> E | None:
        return self.get(entity_id)

    async def adelete(self, entity_id: str) -> bool:
        return self.delete(entity_id)

    async def aexists(self, entity_id: str) -> bool:
        return self.exists(entity_id)

    async def afind(self, query: Query) -> list[E]:
        return self.find(query)

    async def acount(self, where: Any = None) -> int:
        return self.count(where)

    async def aclear(self) -> None:
        self.clear()

    # -- the browser side ---------------------------------------------------------------

    @staticmethod
    def attributes(
        entity_cls: type[Any],
        *,
        storage: Literal["local", "session"] = "local",
        records: Iterable[Any] = (),
        key: str | None = None,
        mirror: bool = True,
    ) -> dict[str, str]:
        """The ``data-*`` attributes of the element that keeps *entity_cls*'s records
        in Web Storage: ``Div(**DatastarRepo.attributes(Prefs, records=[Prefs(id="me")]))``.

        *records* are rendered at version 0 (defaults, so that actions find them); a
        stored record replaces one only when newer. With *mirror*, a record loaded from
        storage (or another tab) is also copied into the entity's own signals
        (``$Prefs``) when the page holds that entity: put the element inside the one
        whose ``data-signals`` holds it. *key*: the storage key (``nitro:<Class>``).
        """
        if storage not in _STORAGES:
            raise ValueError(f"storage must be 'local' or 'session', got {storage!r}")
        namespace = _namespace(entity_cls)
        area = f"window.{_STORAGES[storage]}"
        storage_key = js_string(key or f"nitro:{namespace}")
        rendered = {}
        for entity in records:
            if type(entity) is not entity_cls:
                raise TypeError(f"records must be {entity_cls.__name__} entities")
            rendered[_check_key(entity.id)] = encode((0, _fields_json(entity)))
        sync = _SYNC % {
            "area": area,
            "key": storage_key,
            "box": f"$[{js_string(STORE_SIGNAL)}][{js_string(namespace)}]",
            "mirror": _MIRROR % {"ns": js_string(namespace)} if mirror else "",
        }
        on_storage = (
            f"if (evt.storageArea === {area} && (evt.key === null || evt.key === {storage_key})) "
        )
        return {
            "data_signals": datastar_json({STORE_SIGNAL: {namespace: rendered}}),
            "data_effect": sync,
            "data_on_storage__window": on_storage + sync,
        }


# The glue, run by data-effect (on load and whenever the records change) and on a
# `storage` event from another tab: merge signals and storage record by record (higher
# `v` wins; on a tie the larger text), write storage if it lost anything, update the
# signals that lost. Only JSON.parse ever reads stored text: nothing stored runs.
_SYNC = """{
const st = %(area)s, key = %(key)s, box = %(box)s;
const ok = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const ver = s => {
  try {
    const r = JSON.parse(s);
    return r !== null && typeof r === 'object' && Number.isSafeInteger(r.v) && r.v >= 0 ? r.v : -1;
  } catch (e) { return -1 }
};
const pick = (a, b) => {
  if (typeof a !== 'string') return b;
  if (typeof b !== 'string') return a;
  const x = ver(a), y = ver(b);
  return x !== y ? (x > y ? a : b) : (a >= b ? a : b);
};
let theirs = {};
try {
  const t = JSON.parse(st.getItem(key) || '{}');
  if (t !== null && typeof t === 'object' && !Array.isArray(t)) theirs = t;
} catch (e) {}
const mine = Object.create(null), out = Object.create(null), fresh = [];
for (const id of Object.keys(box)) { const r = box[id]; if (typeof r === 'string') mine[id] = r }
let dirty = false;
for (const id of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
  if (!ok.test(id)) continue;
  const t = Object.hasOwn(theirs, id) && typeof theirs[id] === 'string' ? theirs[id] : undefined;
  const w = pick(mine[id], t);
  out[id] = w;
  if (w !== t) dirty = true;
  if (w !== mine[id]) { box[id] = w; fresh.push(id) }
}
if (dirty) { try { st.setItem(key, JSON.stringify(out)) } catch (e) {} }
%(mirror)s}"""

# Copies a record that came from storage into the entity's signals, only the fields
# the page already has; peeked, so that typing into $Prefs never re-runs the effect.
_MIRROR = """@peek(() => {
  if (!fresh.length || !(%(ns)s in $)) return;
  const ent = $[%(ns)s];
  if (ent === null || typeof ent !== 'object' || !Object.hasOwn(ent, 'id')) return;
  if (!fresh.includes(ent.id)) return;
  let r; try { r = JSON.parse(out[ent.id]) } catch (e) { return }
  if (r === null || typeof r !== 'object' || r.f === null || typeof r.f !== 'object') return;
  for (const k of Object.keys(r.f)) if (k !== 'id' && Object.hasOwn(ent, k)) ent[k] = r.f[k];
});
"""
