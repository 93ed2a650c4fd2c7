"""A ``SQLEntity`` class statement run twice, and two classes wanting one table.

``python main.py`` runs the file as ``__main__``; a server started from it (FastHTML's
``serve()``) imports it again as ``main``. The second run of a class statement takes
over its table; two *different* classes mapping one table name still fail, naming
both. (The real process is in nitro-fasthtml's ``tests/test_serve.py``.)
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from nitro.sql import Database
from nitro.sql.entity import _dispose

# Compiled without this file's `from __future__ import annotations`: relationships
# need real types.
MODELS = """
from nitro.sql import Field, Relationship, SQLEntity


class RerunAuthor(SQLEntity, table=True):
    name: str = ""
    books: list["RerunBook"] = Relationship(back_populates="author")


class RerunBook(SQLEntity, table=True):
    title: str = ""
    author_id: str | None = Field(default=None, foreign_key="rerunauthor.id")
    author: RerunAuthor | None = Relationship(back_populates="books")
"""

CLASH = """
from nitro.sql import SQLEntity


class ClashNote(SQLEntity, table=True):
    text: str = ""
"""

Run = Callable[[str, str, Path], types.ModuleType]


@pytest.fixture
def run_module() -> Iterator[Run]:
    """Run *source* as module *name* with ``__file__`` *file*, like an import does;
    the module's classes leave SQLModel's registry and MetaData afterwards."""
    names: list[str] = []

    def run(name: str, source: str, file: Path) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__file__ = str(file)
        sys.modules[name] = module
        names.append(name)
        exec(compile(source, str(file), "exec", dont_inherit=True), module.__dict__)
        return module

    yield run
    registry = SQLModel._sa_registry  # type: ignore[attr-defined]
    for manager in list(registry._managers):
        if manager.class_.__module__ in names:
            _dispose(registry, manager.class_)
    for name in names:
        sys.modules.pop(name, None)


def _mapped(module: str) -> list[Any]:
    registry = SQLModel._sa_registry  # type: ignore[attr-defined]
    return [m.class_ for m in registry.mappers if m.class_.__module__ == module]


def test_the_same_class_statement_run_again_takes_over_its_table(
    tmp_path: Path, run_module: Run, db: Database
) -> None:
    file = tmp_path / "models.py"
    file.write_text(MODELS)
    first = run_module("rerun_main", MODELS, file)  # as `python models.py`
    second = run_module("rerun_models", MODELS, file)  # as the server's import

    for name in ("RerunAuthor", "RerunBook"):
        table = getattr(second, name).__table__
        assert SQLModel.metadata.tables[table.key] is table
    assert _mapped("rerun_main") == []
    assert {cls.__name__ for cls in _mapped("rerun_models")} == {"RerunAuthor", "RerunBook"}
    assert "nitro_expires_at" in second.RerunAuthor.__table__.c

    # The relationships declared by name resolve to the second run's classes.
    author = second.RerunAuthor(name="ann")
    author.save()
    second.RerunBook(title="one", author_id=author.id).save()
    [book] = second.RerunBook.query().eager("author").all()
    assert type(book.author) is second.RerunAuthor
    assert book.author.name == "ann"
    assert sa.inspect(second.RerunAuthor).relationships["books"].mapper.class_ is (second.RerunBook)
    assert first.RerunAuthor is not second.RerunAuthor


def test_two_classes_mapping_one_table_fail_naming_both(tmp_path: Path, run_module: Run) -> None:
    run_module("clash_blog", CLASH, tmp_path / "blog.py")
    with pytest.raises(sa.exc.InvalidRequestError) as caught:
        run_module("clash_forum", CLASH, tmp_path / "forum.py")
    message = str(caught.value)
    assert "clash_forum.ClashNote" in message
    assert "clash_blog.ClashNote" in message
    assert "'clashnote'" in message
    assert "__tablename__" in message
    assert "extend_existing" not in message
    # The half-mapped class is gone: the registry still lists its mappers.
    assert [cls.__module__ for cls in _mapped("clash_forum")] == []
    assert [cls.__module__ for cls in _mapped("clash_blog")] == ["clash_blog"]
