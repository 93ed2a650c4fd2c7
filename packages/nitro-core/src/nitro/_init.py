"""``nitro init NAME``: a new project that runs and passes its tests at once.

The files come from the Jinja2 templates in ``nitro/project_template``: a
``pyproject.toml`` depending on ``nitro-core`` with the extras the choices need (with a
version range), ``models.py`` with one entity and its actions, ``app.py`` on the chosen
framework, tests through HTTP, a README with its two commands, a ``.gitignore``, and
with SQL a ``migrations/`` directory whose first revision creates the tables.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FRAMEWORKS", "OPTIONS", "STORAGES", "Choices", "create_project", "run_nitro"]

FRAMEWORKS = {"fastapi": "FastAPI", "flask": "Flask", "fasthtml": "FastHTML"}
STORAGES = {
    "memory": "in memory (MemoryRepo)",
    "sqlite": "in SQLite",
    "postgres": "in PostgreSQL",
    "redis": "in Redis",
}
TEMPLATES = Path(__file__).parent / "project_template"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class ProjectError(ValueError):
    """The project cannot be made as asked (the message says why)."""


#: What each option adds (``nitro init --admin --auth --jobs``).
OPTIONS = {
    "admin": "an admin at /admin (nitro-admin), its users in auth.py",
    "auth": "password login and sessions; actions need a logged-in user with permission",
    "jobs": "a background job (nitro-cqrs) enqueued by an action",
}

#: Files only some choices make: ``{template: the option that makes it}``.
_OPTIONAL = {
    "auth.py": ("admin", "auth"),
    "admin.py": ("admin",),
    "jobs.py": ("jobs",),
    "tests/test_admin.py": ("admin",),
    "tests/test_auth.py": ("auth",),
    "tests/test_jobs.py": ("jobs",),
}


@dataclass(frozen=True)
class Choices:
    name: str
    framework: str = "fastapi"
    storage: str = "sqlite"
    admin: bool = False
    auth: bool = False
    jobs: bool = False

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or keyword.iskeyword(self.name):
            raise ProjectError(
                f"{self.name!r} is not a project name: use letters, digits, '-' and '_', "
                "starting with a letter"
            )
        if self.framework not in FRAMEWORKS:
            raise ProjectError(f"framework must be one of {', '.join(FRAMEWORKS)}")
        if self.storage not in STORAGES:
            raise ProjectError(f"storage must be one of {', '.join(STORAGES)}")

    @property
    def sql(self) -> bool:
        return self.storage in ("sqlite", "postgres")

    @property
    def extras(self) -> list[str]:
        found = [self.framework]
        if self.sql:
            found.append("sql")
        elif self.storage == "redis":
            found.append("redis")
        if self.admin:
            found.append("admin")
        if self.jobs:
            found.append("cqrs")
        return found

    def makes(self, relative: str) -> bool:
        """Whether the project has the file *relative* (a template's path)."""
        options = _OPTIONAL.get(relative)
        return options is None or any(getattr(self, option) for option in options)


def _render(choices: Choices) -> dict[str, str]:
    """``{relative path: text}`` of every file the templates make."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Python, TOML and Markdown, not HTML
    )
    context = {
        "name": choices.name,
        "framework": choices.framework,
        "framework_name": FRAMEWORKS[choices.framework],
        "storage": choices.storage,
        "storage_text": STORAGES[choices.storage],
        "sql": choices.sql,
        "extras": choices.extras,
        "admin": choices.admin,
        "auth": choices.auth,
        "jobs": choices.jobs,
        "users": choices.admin or choices.auth,  # auth.py exists
        "database_url": (
            f"postgresql+psycopg://localhost/{choices.name.replace('-', '_')}"
            if choices.storage == "postgres"
            else "sqlite:///nitro.db"
        ),
    }
    files = {}
    for template in sorted(TEMPLATES.rglob("*.jinja")):
        relative = template.relative_to(TEMPLATES).as_posix().removesuffix(".jinja")
        if relative == "gitignore":
            relative = ".gitignore"
        if not choices.makes(relative):
            continue
        text = environment.get_template(template.relative_to(TEMPLATES).as_posix()).render(context)
        files[relative] = text
    return files


def create_project(
    choices: Choices,
    where: Path,
    *,
    force: bool = False,
    step: Callable[[str], object] = lambda description: None,
) -> list[Path]:
    """Write the project into ``where / choices.name``; return the files written.

    A directory that exists and is not empty is refused unless *force* (then only the
    files the templates make are replaced). *step* is told each long step as it starts
    (the command shows a progress bar).
    """
    root = where / choices.name
    if root.exists() and any(root.iterdir()) and not force:
        raise ProjectError(f"{root} exists and is not empty (--force writes over its files)")
    written = []
    for relative, text in _render(choices).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    if choices.sql:
        written += _migrations(root, step)
    return written


def run_nitro(root: Path, *args: str, failing: str) -> None:
    """Run ``nitro ARGS`` in *root* as the user would (nitro-sql's commands); a failure
    is a :class:`ProjectError` starting with *failing* and ending with its last line."""
    done = subprocess.run(
        [sys.executable, "-m", "nitro.cli", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProjectError(f"{failing}: {last}")


def _migrations(root: Path, step: Callable[[str], object]) -> list[Path]:
    """``nitro db init`` and a first revision creating the tables (``nitro db adopt``
    against a scratch SQLite file)."""
    failing = "could not write the migrations (is nitro-sql installed?)"
    step("Making migrations/")
    run_nitro(root, "db", "init", "--models", "models", failing=failing)
    step("Writing the first revision")
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'init.db'}"
        run_nitro(root, "db", "adopt", "-m", "create tables", "--url", url, failing=failing)
    return sorted((root / "migrations").rglob("*.py"))
