"""A mypy plugin for Nitro entities: ``Counter.count_signal`` is checked.

Enable it in your mypy configuration::

    # pyproject.toml
    [tool.mypy]
    plugins = ["nitro.mypy"]

With it, ``Counter.count_signal`` is a :class:`~nitro.signals.SignalRef` for every
field ``count`` of ``Counter`` (inherited fields too), and a class attribute that is
neither declared nor the signal of a field -- ``Todo.titel_signal`` -- is an
``attr-defined`` error naming the fields, as it fails at run time. (Names starting
with ``_`` stay unchecked.) Without the plugin such attributes type as ``str``.

It works for every entity base built on :class:`~nitro.entity.EntityClass`
(:class:`nitro.Entity`, ``nitro.sql.SQLEntity``). mypy imports this module; Nitro
never does, so mypy is not a dependency.

``class Order(Entity, versioned=True)`` also gets its ``version: int`` attribute,
which the metaclass adds at run time and mypy cannot see otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.checker import TypeChecker
from mypy.errorcodes import ATTR_DEFINED
from mypy.nodes import NameExpr, TypeInfo, Var
from mypy.plugin import AttributeContext, ClassDefContext, Plugin
from mypy.plugins.common import add_attribute_to_class
from mypy.types import CallableType, Instance, ProperType, Type, TypeType, get_proper_type

__all__ = ["NitroPlugin", "plugin"]

#: Where entity metaclasses declare ``__getattr__`` (what mypy names the hook after).
_ENTITY_CLASS = "nitro.entity._meta.EntityClass"
#: The base every entity class has (both Entity and SQLEntity).
_ENTITY_API = "nitro.entity._api.EntityAPI"
#: Kept in step with nitro.signals (not imported: mypy loads this module on its own).
_SIGNAL_SUFFIX = "_signal"
_SIGNALS_MODULE = "nitro.signals"
#: Bases whose annotated names are not the entity's fields.
_MODEL_BASES = frozenset(
    {
        "builtins.object",
        "pydantic.main.BaseModel",
        "sqlmodel.main.SQLModel",
        "nitro.entity._api.EntityAPI",
    }
)


class NitroPlugin(Plugin):
    """Types the class attributes that entity metaclasses answer through ``__getattr__``."""

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        # mypy names the hook "<class defining __getattr__>.<attribute>" when an
        # attribute is only found through that __getattr__.
        if fullname.startswith(_ENTITY_CLASS + "."):
            return _entity_class_attribute
        return None

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        # Called for each direct base of a class being defined; only entity bases with
        # ``versioned=True`` in the class statement matter.
        node = self.lookup_fully_qualified(fullname)
        info = node.node if node is not None else None
        if isinstance(info, TypeInfo) and any(b.fullname == _ENTITY_API for b in info.mro):
            return _versioned_attribute
        return None


def _versioned_attribute(ctx: ClassDefContext) -> None:
    flag = ctx.cls.keywords.get("versioned")
    if not (isinstance(flag, NameExpr) and flag.fullname == "builtins.True"):
        return
    if "version" not in ctx.cls.info.names:
        add_attribute_to_class(ctx.api, ctx.cls, "version", ctx.api.named_type("builtins.int"))


def _entity_class_attribute(ctx: AttributeContext) -> Type:
    info = _class_info(get_proper_type(ctx.type))
    name = _attribute_name(ctx)
    if info is None or name is None:
        return ctx.default_attr_type
    fields = _fields(info)
    if name.endswith(_SIGNAL_SUFFIX) and name[: -len(_SIGNAL_SUFFIX)] in fields:
        return _signal_ref(ctx)
    if name.startswith("_"):
        return ctx.default_attr_type  # private and ORM attributes stay unchecked
    if name.endswith(_SIGNAL_SUFFIX):
        listed = ", ".join(sorted(fields)) or "none"
        message = (
            f'"{info.name}" has no field "{name[: -len(_SIGNAL_SUFFIX)]}", so no signal '
            f'reference "{name}" (its fields: {listed})'
        )
    else:
        message = f'"type[{info.name}]" has no attribute "{name}"'
    ctx.api.fail(message, ctx.context, code=ATTR_DEFINED)
    return ctx.default_attr_type


def _signal_ref(ctx: AttributeContext) -> Type:
    """``nitro.signals.SignalRef`` (looked up in the module: the checker's qualified
    lookup walks ``nitro``'s own names, which do not include ``signals``)."""
    if not isinstance(ctx.api, TypeChecker):
        return ctx.default_attr_type
    module = ctx.api.modules.get(_SIGNALS_MODULE)
    symbol = module.names.get("SignalRef") if module is not None else None
    if symbol is not None and isinstance(symbol.node, TypeInfo):
        return Instance(symbol.node, [])
    return ctx.default_attr_type


def _class_info(typ: ProperType) -> TypeInfo | None:
    """The entity class of ``Counter`` in ``Counter.x`` (a type object)."""
    if isinstance(typ, CallableType) and typ.is_type_obj():
        return typ.type_object()
    if isinstance(typ, TypeType) and isinstance(typ.item, Instance):
        return typ.item.type
    return None


def _attribute_name(ctx: AttributeContext) -> str | None:
    name = getattr(ctx.context, "name", None)  # a MemberExpr
    return name if isinstance(name, str) else None


def _fields(info: TypeInfo) -> set[str]:
    """The field names mypy sees on an entity class: annotated, non-ClassVar, public
    names of the class and its bases below the model base."""
    fields: set[str] = set()
    for base in info.mro:
        if base.fullname in _MODEL_BASES:
            continue
        for name, symbol in base.names.items():
            node = symbol.node
            if (
                isinstance(node, Var)
                and not node.is_classvar
                and not node.is_inferred  # annotated
                and not node.is_property
                and not name.startswith("_")
                and name != "model_config"
            ):
                fields.add(name)
    return fields


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return NitroPlugin
