"""The distributions work as plain wheels installed side by side, not only editable.

Builds every wheel of the workspace, installs ``nitro-core[fastapi]`` into a fresh
virtual environment and checks that the extras pull exactly the siblings they name.
Nitro's own wheels come from the local build only (``--no-index``); their third-party
requirements, read from the wheels' metadata, are installed from the package index
beforehand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_PREFIXES = ("nitro-", "rusty-tags")

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def is_local(name: str) -> bool:
    return canonicalize_name(name).startswith(LOCAL_PREFIXES)


def wheel_requirements(wheelhouse: Path) -> dict[str, list[Requirement]]:
    """Map each built distribution name to the requirements in its METADATA."""
    found: dict[str, list[Requirement]] = {}
    for wheel in wheelhouse.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = Parser().parsestr(archive.read(name).decode())
        requires = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]
        found[canonicalize_name(metadata["Name"])] = requires
    return found


def third_party_closure(root: str, wheels: dict[str, list[Requirement]]) -> set[str]:
    """Third-party requirement strings needed by ``root`` (``name[extra]`` allowed)."""
    external: set[str] = set()
    pending, seen = [Requirement(root)], set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        if not is_local(name):
            external.add(str(requirement))
            continue
        for dependency in wheels[name]:
            extras = requirement.extras or {""}
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in extras
            ):
                pending.append(dependency)
    return external


def can_import(python: Path, module: str) -> bool:
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("uv") is None:
        pytest.fail("uv is required to build the wheels")
    out = tmp_path_factory.mktemp("wheels")
    run("uv", "build", "--all-packages", "--wheel", "--out-dir", out)
    return out


def test_every_member_builds_a_wheel(wheelhouse: Path) -> None:
    names = set(wheel_requirements(wheelhouse))
    assert names == {
        "nitro-core",
        "nitro-sql",
        "nitro-redis",
        "nitro-fastapi",
        "nitro-flask",
        "nitro-fasthtml",
        "nitro-admin",
        "nitro-cqrs",
        "rusty-tags",
    }


def test_only_nitro_core_ships_the_namespace_init(wheelhouse: Path) -> None:
    for wheel in wheelhouse.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            ships_init = "nitro/__init__.py" in archive.namelist()
            ships_adapters_init = "nitro/adapters/__init__.py" in archive.namelist()
        assert ships_init == wheel.name.startswith("nitro_core-"), wheel.name
        assert not ships_adapters_init, wheel.name


def installer(wheelhouse: Path, python: Path) -> Callable[[str], None]:
    """Install a spec such as ``nitro-core[flask]`` into *python*'s environment: its
    third-party requirements from the index, Nitro's own wheels only from *wheelhouse*."""
    wheels = wheel_requirements(wheelhouse)

    def install(spec: str) -> None:
        external = sorted(third_party_closure(spec, wheels))
        run("uv", "pip", "install", "--python", python, *external)
        run(
            "uv",
            "pip",
            "install",
            "--python",
            python,
            "--no-index",
            "--find-links",
            wheelhouse,
            spec,
        )

    return install


def test_extras_install_exactly_their_siblings(wheelhouse: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run("uv", "venv", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    install = installer(wheelhouse, python)

    install("nitro-core[fastapi]")
    assert can_import(python, "nitro.adapters.fastapi")
    assert can_import(python, "rusty_tags")
    assert can_import(python, "uvicorn")  # the extra can serve the app it installs
    assert not can_import(python, "nitro.sql")
    assert not can_import(python, "nitro.adapters.flask")

    install("nitro-core[sql]")
    assert can_import(python, "nitro.sql")
    assert can_import(python, "nitro.adapters.fastapi")

    listing = run("uv", "pip", "list", "--python", python, "--format", "freeze").stdout
    installed = {canonicalize_name(line.split("==")[0]) for line in listing.splitlines()}
    assert {"nitro-core", "nitro-fastapi", "nitro-sql", "rusty-tags"} <= installed
    assert not installed & {"nitro-redis", "nitro-flask", "nitro-admin", "nitro-cqrs"}
    run("uv", "pip", "check", "--python", python)


PLUGIN_APP = """
import sys
from flask import Flask
from nitro import Entity
from nitro.actions import action
from nitro.adapters.flask import configure_app


class Note(Entity):
    text: str = ""

    @action
    def touch(self) -> None:
        self.text += "!"


app = Flask(__name__)
configure_app(app)

if __name__ == "__main__":
    print("GET /hello", app.test_client().get("/hello").status_code)
    Note(id="n1").save()
    print("X-Hello", app.test_client().post("/note/n1/touch").headers.get("X-Hello"))
"""


def test_an_installed_plugin_extends_an_unchanged_app(wheelhouse: Path, tmp_path: Path) -> None:
    """tests/plugins/nitro-hello-plugin, a distribution of its own, adds a page, a
    command and an entity hook once installed; the app's code does not change."""
    venv = tmp_path / "venv"
    run("uv", "venv", "--python", sys.executable, venv)
    python, nitro = venv / "bin" / "python", venv / "bin" / "nitro"
    installer(wheelhouse, python)("nitro-core[flask]")
    app = tmp_path / "app.py"
    app.write_text(PLUGIN_APP)
    log = tmp_path / "hooks.log"
    env = {**os.environ, "NITRO_HELLO_LOG": str(log)}
    env.pop("NITRO_PLUGINS", None)

    def start() -> str:
        done = subprocess.run(
            [python, app], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    assert "GET /hello 404" in (out := start())
    assert "X-Hello None" in out
    assert not log.exists()
    missing = subprocess.run([nitro, "hello"], env=env, capture_output=True, text=True)
    assert missing.returncode == 2  # no such command

    run("uv", "pip", "install", "--python", python, REPO_ROOT / "tests/plugins/nitro-hello-plugin")
    assert "GET /hello 200" in (out := start())
    assert "X-Hello Note.touch" in out  # its middleware wraps the app's actions
    assert log.read_text() == "saved Note n1\n" * 2  # the save, then the action's
    hello = subprocess.run(
        [nitro, "hello", "--name", "ann"], env=env, capture_output=True, text=True, check=True
    )
    assert hello.stdout.strip() == "hello, ann, from a Nitro plugin"
    env["NITRO_PLUGINS"] = "off"  # the switch to leave installed plugins out
    assert "GET /hello 404" in start()
