"""``nitro generate entity Product name:str price:float stock:int=0 category:Category?``

Adds to a project made by ``nitro init``: ``entities/product.py`` (from the Jinja2
template in ``nitro/entity_template``), its import in ``entities/__init__.py`` (which
``models.py`` imports, so the app serves it and migrations see it),
``tests/test_product.py``, its ``admin.register`` line when the project has an
``admin.py``, and with SQL a migration revision adding its table. A field
that would shadow the entity API is refused with the message the class itself would
raise; no file is overwritten without *force*.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nitro._init import ProjectError, run_nitro

__all__ = ["Field", "generate_entity", "parse_field"]

_TYPES = {
    "str": ("str", '"text"', None),
    "int": ("int", "1", None),
    "float": ("float", "1.5", None),
    "bool": ("bool", "True", None),
    "date": ("date", "date(2026, 1, 31)", "from datetime import date"),
    "datetime": ("datetime", "datetime(2026, 1, 31, 12, 0)", "from datetime import datetime"),
    "decimal": ("Decimal", 'Decimal("9.99")', "from decimal import Decimal"),
}
_SPEC = re.compile(r"(?P<name>[a-z_][a-z0-9_]*):(?P<type>[A-Za-z][A-Za-z0-9_]*)(?P<optional>\?)?"
                   r"(?:=(?P<default>.+))?")  # fmt: skip
_CLASS = re.compile(r"[A-Z][A-Za-z0-9]*")


@dataclass(frozen=True)
class Field:
    name: str
    annotation: str
    default: str | None
    sample: str
    needs: str | None

    @property
    def declaration(self) -> str:
        return f"{self.name}: {self.annotation}" + (
            f" = {self.default}" if self.default is not None else ""
        )


def parse_field(spec: str) -> Field:
    """``price:float``, ``stock:int=0``, ``note:str?`` (optional), ``category:Category?``
    (a reference to another entity, stored as ``category_id``)."""
    found = _SPEC.fullmatch(spec)
    if found is None:
        raise ProjectError(
            f"{spec!r} is not a field: write name:type, name:type=default or name:type? "
            f"(types: {', '.join(_TYPES)}, or an entity class for a reference)"
        )
    name, kind, optional, default = (
        found["name"],
        found["type"],
        found["optional"],
        found["default"],
    )
    if kind in _TYPES:
        annotation, sample, needs = _TYPES[kind]
    elif _CLASS.fullmatch(kind):  # a reference to another entity, by id
        name, annotation, sample, needs = f"{name}_id", "str", f'"{kind.lower()}-1"', None
    else:
        raise ProjectError(f"{spec!r}: unknown type {kind!r} (use one of {', '.join(_TYPES)})")
    if optional:
        annotation, default = f"{annotation} | None", default if default is not None else "None"
    return Field(name, annotation, default, sample, needs)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _check_names(name: str, fields: list[Field]) -> None:
    """The check the entity class runs at definition, run now (the same message)."""
    import nitro
    from nitro.entity._meta import check_field_names

    reserved = type(nitro.Entity).reserved_names
    names = [field.name for field in fields]
    try:
        check_field_names(name, names, set(names), reserved)
    except TypeError as exc:
        raise ProjectError(str(exc)) from None


def generate_entity(
    root: Path,
    name: str,
    specs: list[str],
    *,
    force: bool = False,
    step: Callable[[str], object] = lambda description: None,
) -> list[Path]:
    """Write the entity *name* with fields *specs* into the project at *root*; *step*
    is told each long step as it starts."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    if not _CLASS.fullmatch(name):
        raise ProjectError(f"{name!r} is not an entity class name: use CamelCase (Product)")
    models = root / "models.py"
    if not models.exists():
        raise ProjectError(f"no models.py in {root}: run it in a project made by 'nitro init'")
    fields = [parse_field(spec) for spec in specs]
    if not fields:
        raise ProjectError("give at least one field: name:str")
    _check_names(name, fields)
    sql = "SQLEntity" in models.read_text() or (root / "migrations").is_dir()
    snake = _snake(name)
    targets = {
        root / "entities" / f"{snake}.py": "entity.py.jinja",
        root / "tests" / f"test_{snake}.py": "test_entity.py.jinja",
    }
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        raise ProjectError(f"{existing[0]} exists (--force writes over it)")
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "entity_template"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Python
    )
    imports = sorted({field.needs for field in fields if field.needs})
    sample = ", ".join(f"{field.name}={field.sample}" for field in fields)
    context = {"name": name, "snake": snake, "fields": fields, "sql": sql,
               "imports": imports, "sample": sample}  # fmt: skip
    written = []
    (root / "entities").mkdir(exist_ok=True)
    for path, template in targets.items():
        text = environment.get_template(template).render(context)
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        written.append(path)
    written.append(_export(root / "entities" / "__init__.py", snake, name))
    if (root / "admin.py").exists():
        written.append(_register_in_admin(root / "admin.py", snake, name))
    if sql:
        step("Writing the migration")
        written += _revision(root, snake)
    return written


def _export(package: Path, snake: str, name: str) -> Path:
    """``from entities.product import Product as Product`` in ``entities/__init__.py``
    (the import lines kept sorted; the docstring above them kept as it is)."""
    text = package.read_text() if package.exists() else '"""The generated entities."""\n'
    lines = text.splitlines()
    imports = {line for line in lines if line.startswith("from entities.")}
    head = [line for line in lines if not line.startswith("from entities.")]
    while head and not head[-1].strip():
        head.pop()
    imports.add(f"from entities.{snake} import {name} as {name}")
    package.write_text("\n".join([*head, "", *sorted(imports)]) + "\n")
    return package


def _register_in_admin(admin: Path, snake: str, name: str) -> Path:
    """``admin.register(Product)`` at the end of ``admin.py`` and its import after the
    last import line (nothing added twice, so ``--force`` can run again)."""
    lines = admin.read_text().splitlines()
    import_line = f"from entities.{snake} import {name}"
    if import_line not in lines:
        is_import = [line.startswith(("from ", "import ")) for line in lines]
        end = max((i for i, found in enumerate(is_import) if found), default=len(lines) - 1) + 1
        start = end  # the last block of imports: the project's own modules
        while start > 0 and is_import[start - 1]:
            start -= 1
        lines[start:end] = sorted([*lines[start:end], import_line])
    if f"admin.register({name})" not in lines:
        lines.append(f"admin.register({name})")
    admin.write_text("\n".join(lines) + "\n")
    return admin


def _revision(root: Path, snake: str) -> list[Path]:
    """A revision adding the table: autogenerated against a scratch database migrated
    to the current head (not the developer's database, whatever state it is in)."""
    before = set((root / "migrations" / "versions").glob("*.py"))
    failing = "could not write the migration"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'head.db'}"
        run_nitro(root, "migrate", "--url", url, failing=failing)
        revision = ["db", "revision", "--autogenerate", "-m", f"add {snake}", "--url", url]
        run_nitro(root, *revision, failing=failing)
    return sorted(set((root / "migrations" / "versions").glob("*.py")) - before)
