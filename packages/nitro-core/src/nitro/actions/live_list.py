"""Live lists: a list of entities on the page that stays current in every tab.

Declare the list once, at module level, next to the page that shows it::

    thread = LiveList(
        Comment,
        name="thread",
        where=lambda post: FieldEquals("post_id", post),  # the page's parameters
        order_by="created",
        render=lambda c: Div(B(c.author), P(c.text)),
        container=Ul,
        item=Li,
    )


    def post_page(post):
        return Page(H1(post.title), thread.element(post=post.id))

``element()`` renders the rows the repository holds now inside a container whose
``data-init`` opens the list's live stream, ``GET {prefix}/_live/_list/{name}?post=...``.
From then on every stored change of a ``Comment`` -- whatever made it: an action, a
plain ``save()``/``delete()``, the admin, a job, another instance through Redis -- is
sent as the smallest element patch: a row inserted at its place in the order, morphed,
or removed. On (re)connect the stream first sends the whole container, so a tab that
was offline is correct again. The stream is :mod:`nitro.actions.list_stream`.

Security: a list's parameters come from the URL, which is not a secret. A list that
not everyone may see says so: ``permission="comment.view"`` (401/403 otherwise) and
``rule=RowRule(...)`` (each user sees only the rows the rule allows, on the page and in
the stream). Row and container ids are derived from the list's name and the entity ids,
encoded so that no id can break out of an ``id`` attribute or a CSS selector.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from nitro.actions.registry import LIVE_SEGMENT
from nitro.actions.urls import current_prefix
from nitro.persistence.query import Query
from nitro.persistence.units import unit_repository
from nitro.specification import Specification
from rusty_tags import Div, js_string

__all__ = ["LIST_SEGMENT", "LiveList", "claim_name", "find_live_list", "live_list_entities"]

#: ``{prefix}/_live/_list/{name}``: entity segments are class names, never ``_list``.
LIST_SEGMENT = "_list"

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_PLAIN_ID = re.compile(r"[A-Za-z0-9-]{1,128}")

Where = Specification[Any] | Callable[..., Specification[Any] | None] | None


class LiveList:
    """A list of *entity* rows on the page, kept current by a live stream.

    :param entity: the entity class listed.
    :param name: the list's URL and DOM name (lowercase letters, digits, ``-``);
        default: the entity's name plus ``-list``. Unique in the process.
    :param where: a :class:`~nitro.specification.Specification` the rows satisfy, or a
        function of the page's parameters returning one (its parameter names are the
        list's parameters; their values arrive as strings).
    :param order_by: field names, ``"-field"`` for descending; ``id`` breaks ties.
    :param limit: show at most this many rows (the first ones in the order).
    :param render: ``entity -> content`` of one row (default: the entity itself, shown
        through its ``__html__``).
    :param container: the tag of the list (``Ul``); ``item``: the tag wrapping each row
        (``Li``), which carries the row's id.
    :param permission: a permission the viewer must hold (401 when not logged in, 403
        without it); ``rule``: a :class:`~nitro.auth.rules.RowRule` filtering the rows
        per viewer.
    """

    def __init__(
        self,
        entity: type,
        *,
        name: str | None = None,
        where: Where = None,
        order_by: str | Sequence[str] = (),
        limit: int | None = None,
        render: Callable[[Any], Any] | None = None,
        container: Callable[..., Any] = Div,
        item: Callable[..., Any] = Div,
        permission: str | None = None,
        rule: Any = None,
    ) -> None:
        self.entity = entity
        self.name = name or f"{entity.__name__.lower()}-list"
        orders = (order_by,) if isinstance(order_by, str) else tuple(order_by)
        self.query = Query(order_by=orders, limit=limit)
        self.query.check_fields(entity)
        self._where = where
        self.parameters = _parameters(where)
        if render is None and not hasattr(entity, "__html__"):
            raise TypeError(
                f"LiveList({entity.__name__}): give render=, a function of one "
                f"{entity.__name__} returning its row's content (or define "
                f"{entity.__name__}.__html__)"
            )
        self.render = render or (lambda row: row)
        self.container, self.item = container, item
        self.permission, self.rule = permission, rule
        self.protected = permission is not None or rule is not None
        self._last: tuple[Any, Any] = (None, None)  # (message, entity) memo, see entity_of
        claim_name(self.name, self)

    # -- what a page renders ---------------------------------------------------------------

    def url(self, **params: Any) -> str:
        """The path of this list's live stream for *params*."""
        values = self.check_params(params)
        path = f"{current_prefix()}/{LIVE_SEGMENT}/{LIST_SEGMENT}/{self.name}"
        return f"{path}?{urlencode(values)}" if values else path

    def element(self, *, user: Any = None, **params: Any) -> Any:
        """The container with the rows stored now, opening the live stream on load.

        *user* is the viewer, needed when the list has a ``rule`` (pass the request's
        user); *params* are the ``where`` function's parameters.
        """
        values = self.check_params(params)
        rows = self.rows(values, self.viewer_spec(user)) if self._renders_now(user) else []
        return self.wrap(values, rows, opener=True)

    async def aelement(self, *, user: Any = None, **params: Any) -> Any:
        """:meth:`element` for async pages."""
        values = self.check_params(params)
        rows = await self.arows(values, self.viewer_spec(user)) if self._renders_now(user) else []
        return self.wrap(values, rows, opener=True)

    def _renders_now(self, user: Any) -> bool:
        # A protected list rendered without its viewer starts empty: the stream, which
        # authenticates the request, fills it.
        return not self.protected or user is not None

    def wrap(self, values: Mapping[str, str], rows: Sequence[Any], *, opener: bool) -> Any:
        """The container element holding *rows* (and, for a page, the stream opener)."""
        attrs: dict[str, Any] = {"id": self.container_id(values)}
        if opener:
            attrs["data_init"] = f"@get({js_string(self.url(**values))}, {{openWhenHidden: true}})"
        cid = attrs["id"]
        return self.container(*(self.row(cid, row) for row in rows), **attrs)

    def row(self, container_id: str, entity: Any) -> Any:
        return self.item(self.render(entity), id=row_id(container_id, entity.id))

    # -- what the stream needs ---------------------------------------------------------------

    def check_params(self, params: Mapping[str, Any]) -> dict[str, str]:
        """*params* as strings, or :class:`ValueError` naming the missing or unknown."""
        missing = [name for name in self.parameters if name not in params]
        unknown = [name for name in params if name not in self.parameters]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown {', '.join(unknown)}")
            expected = ", ".join(self.parameters) or "none"
            raise ValueError(
                f"live list {self.name!r}: {'; '.join(parts)} (its parameters: {expected})"
            )
        return {name: str(params[name]) for name in self.parameters}

    def where(self, values: Mapping[str, str]) -> Specification[Any] | None:
        where = self._where
        if where is None or isinstance(where, Specification):
            return where
        spec = where(**values)
        if spec is not None and not isinstance(spec, Specification):
            raise TypeError(
                f"live list {self.name!r}: where() returned {type(spec).__name__}, "
                "not a Specification"
            )
        return spec

    def viewer_spec(self, user: Any) -> Specification[Any] | None:
        """The rows *user* may see (``None``: all); raises ``NotAuthenticated`` /
        ``PermissionDenied`` for a viewer the list refuses."""
        if not self.protected:
            return None
        from nitro.auth.errors import NotAuthenticated, PermissionDenied

        if user is None or not user.is_authenticated:
            raise NotAuthenticated()
        if self.permission is not None and not user.has_perm(self.permission):
            raise PermissionDenied()
        return self.rule.spec(user) if self.rule is not None else None

    def filter(
        self, values: Mapping[str, str], viewer: Specification[Any] | None
    ) -> Specification[Any] | None:
        where = self.where(values)
        if viewer is None:
            return where
        return viewer if where is None else where & viewer

    def rows(self, values: Mapping[str, str], viewer: Specification[Any] | None) -> list[Any]:
        query = Query(self.filter(values, viewer), self.query.order_by, self.query.limit)
        return unit_repository(self.entity).find(query)

    async def arows(
        self, values: Mapping[str, str], viewer: Specification[Any] | None
    ) -> list[Any]:
        query = Query(self.filter(values, viewer), self.query.order_by, self.query.limit)
        return await unit_repository(self.entity).afind(query)

    def entity_of(self, message: Mapping[str, Any]) -> Any:
        """The entity a ``save`` message carries, built once per message and list (every
        stream of this list receives the same message object in this process)."""
        last_message, last_entity = self._last
        if message is last_message:
            return last_entity
        entity = self.entity.model_validate(message["data"])  # type: ignore[attr-defined]
        self._last = (message, entity)
        return entity

    def container_id(self, values: Mapping[str, str]) -> str:
        if not values:
            return f"live-{self.name}"
        digest = hashlib.sha1(urlencode(sorted(values.items())).encode()).hexdigest()[:10]
        return f"live-{self.name}-{digest}"

    def __repr__(self) -> str:
        return f"LiveList({self.entity.__name__}, name={self.name!r})"


def row_id(container_id: str, entity_id: str) -> str:
    """A row's element id: plain ids as they are, any other one hex-encoded (``_`` marks
    it, so the two forms never meet), safe in an attribute and a ``#`` selector."""
    text = str(entity_id)
    if _PLAIN_ID.fullmatch(text):
        return f"{container_id}-{text}"
    return f"{container_id}_{text.encode().hex()}"


def _parameters(where: Where) -> tuple[str, ...]:
    if where is None or isinstance(where, Specification):
        return ()
    if not callable(where):
        raise TypeError(f"where must be a Specification or a function returning one, not {where!r}")
    params = inspect.signature(where).parameters.values()
    names = []
    for param in params:
        if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            raise TypeError(f"where(): parameter {param.name!r} must be a named parameter")
        if param.name == "user":
            raise TypeError("where(): 'user' is reserved (use rule= for per-user rows)")
        names.append(param.name)
    return tuple(names)


# -- the registry the stream endpoints look names up in ----------------------------------------

_named: dict[str, Any] = {}  # name -> LiveList or LiveTopic (one namespace, one route)
_lock = threading.Lock()


def claim_name(name: str, owner: Any) -> None:
    """Register a live list or topic under *name* (a URL segment and DOM id part)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"live list or topic name {name!r}: use lowercase letters, digits and '-' "
            "(it is part of URLs and element ids)"
        )
    with _lock:
        earlier = _named.get(name)
        if earlier is not None and not _same_definition(earlier, owner):
            raise ValueError(
                f"the name {name!r} is taken by {earlier!r}; give this one another name"
            )
        _named[name] = owner  # the later copy of a re-imported module
    live_list_entities.cache_clear()


def _same_definition(a: Any, b: Any) -> bool:
    """The same statement run twice: a module imported as ``__main__`` and again by
    name defines its entity class again, under the same name."""
    if type(a) is not type(b):
        return False
    if not isinstance(a, LiveList):
        return True  # a topic is its name
    modules = {a.entity.__module__, b.entity.__module__}
    return a.entity.__qualname__ == b.entity.__qualname__ and (
        len(modules) == 1 or "__main__" in modules
    )


def find_live_list(name: str) -> Any:
    """The :class:`LiveList` or :class:`~nitro.actions.topics.LiveTopic` named *name*."""
    return _named.get(name)


@functools.cache
def live_list_entities() -> frozenset[type]:
    """The entity classes some live list shows (their changes are published)."""
    return frozenset(owner.entity for owner in _named.values() if isinstance(owner, LiveList))
