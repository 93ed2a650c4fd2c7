"""Time to first app (issue 19): the todo tutorial, followed by a script.

From an empty directory, the script runs the commands of ``docs/tutorials/todo.md``
as a reader types them::

    mkdir todo && cd todo
    python -m venv .venv
    .venv/bin/pip install "nitro-core[sql,fastapi]"
    # save the tutorial's app as app.py (examples/todo/app.py)
    .venv/bin/python app.py

then opens http://127.0.0.1:8000 in headless Chromium with the real Datastar client,
adds a todo, ticks it and reloads the page: the todo is still there, ticked. It prints
how long each step took and which step dominates, and exits non-zero if one failed.

PyPI is stood in for by a wheelhouse: ``uv build --all-packages --wheel`` (timed
apart, not a user step) unless ``--wheelhouse DIR`` is given. The pip command is the
tutorial's, verbatim; the environment adds ``PIP_FIND_LINKS=<wheelhouse>`` and
``PIP_CONSTRAINT`` pinning the wheelhouse's versions, so that Nitro's distributions
come from the wheelhouse and their third-party requirements from the index. After the
install, every file of every Nitro distribution in the venv is checked against the
wheel's ``RECORD`` (same SHA-256), so a release of the same name and version from the
index would be caught.

Run: ``uv run --no-sync python benchmarks/first_app/first_app.py [--json]``; with a
cold pip cache: ``PIP_NO_CACHE_DIR=1 uv run --no-sync python ...``. Needs uv (for the
wheels), network access to the package index, Chromium and the cached Datastar client
(``tests/support/nitro_datastar.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "support"))

from nitro_datastar import fetch_datastar, new_datastar_context, open_page  # noqa: E402
from nitro_test_services import CHROMIUM_ARGS, find_chromium  # noqa: E402

from nitro.testing.services import free_port, stop_process, wait_for_port  # noqa: E402

#: The app the tutorial includes (the reader saves it as ``app.py``).
APP_SOURCE = REPO_ROOT / "examples" / "todo" / "app.py"
TUTORIAL = REPO_ROOT / "docs" / "tutorials" / "todo.md"
#: The tutorial's commands, in order; the test checks that the tutorial shows each.
MKDIR = "mkdir todo && cd todo"
VENV = "python -m venv .venv"
PIP_INSTALL = '.venv/bin/pip install "nitro-core[sql,fastapi]"'
RUN_APP = ".venv/bin/python app.py"
TUTORIAL_COMMANDS = (MKDIR, VENV, PIP_INSTALL, RUN_APP)
#: Where the tutorial's app serves (uvicorn's default).
DEFAULT_PORT = 8000
#: Settings of the caller's shell that would point the new venv, pip or the app
#: elsewhere (the workspace's venv, another wheel directory, another database, another
#: Datastar address).
DROPPED_ENV_PREFIXES = ("VIRTUAL_ENV", "PYTHONPATH", "UV_", "NITRO_", "RUSTY_TAGS_")
DROPPED_ENV = ("PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_NO_INDEX", "PIP_REQUIRE_VIRTUALENV")
TIMEOUT = 600
TODO_TITLE = "buy milk"


class StepFailed(RuntimeError):
    pass


class MissingTool(RuntimeError):
    """A tool the script needs (not a Nitro failure): uv, Chromium, the Datastar client."""


@dataclass
class Step:
    name: str
    seconds: float
    user: bool  # part of the reader's time (the wheel build and the checks are not)
    note: str = ""


@dataclass
class Report:
    ok: bool = False
    error: str = ""
    missing: str = ""  # a tool the script needs is not there (not a Nitro failure)
    steps: list[Step] = field(default_factory=list)
    user_seconds: float = 0.0
    dominant: str = ""
    dominant_share: float = 0.0
    wheel_build_seconds: float | None = None
    wheelhouse: str = ""
    python: str = ""
    pip: str = ""
    port: int = DEFAULT_PORT
    commands: list[str] = field(default_factory=list)
    installed: dict[str, str] = field(default_factory=dict)
    from_wheelhouse: list[str] = field(default_factory=list)
    #: The pip step split by the timestamps of its log: starting pip, resolving and
    #: downloading, installing (unpacking and compiling ``.pyc``).
    pip_phases: dict[str, float] = field(default_factory=dict)
    pip_downloads: int = 0
    pip_downloaded: list[str] = field(default_factory=list)  # "name.whl (size)"
    pip_cached: int = 0
    pip_cache: str = "warm"

    def add(self, name: str, seconds: float, *, user: bool = True, note: str = "") -> None:
        self.steps.append(Step(name, round(seconds, 3), user, note))


@contextlib.contextmanager
def timed(report: Report, name: str, *, user: bool = True, note: str = "") -> Iterator[None]:
    started = time.monotonic()
    yield
    report.add(name, time.monotonic() - started, user=user, note=note)


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run *command*; its combined output, or :class:`StepFailed` quoting its tail."""
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StepFailed(f"{shlex.join(command)}: {exc}") from exc
    if done.returncode != 0:
        raise StepFailed(f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}")
    return done.stdout


# -- The wheelhouse (stands in for PyPI) ----------------------------------------------


def build_wheels(out: Path) -> None:
    """Every workspace member's wheel, as ``tests/test_cli_fresh_venv.py`` builds them."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise MissingTool("uv is needed to build the wheels (or pass --wheelhouse DIR)")
    run([uv, "build", "--all-packages", "--wheel", "--out-dir", str(out)], cwd=REPO_ROOT)


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def wheels_of(wheelhouse: Path) -> dict[str, tuple[str, Path]]:
    """``{distribution: (version, wheel)}`` for the wheels in *wheelhouse*."""
    found = {}
    for wheel in sorted(wheelhouse.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        found[canonical(name)] = (version, wheel)
    if not found:
        raise StepFailed(f"no wheels in {wheelhouse}")
    return found


def wheel_record(wheel: Path) -> dict[str, str]:
    """``{path: hash}`` of the files a wheel installs (its ``RECORD``, less itself)."""
    with zipfile.ZipFile(wheel) as archive:
        record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        text = archive.read(record).decode()
    return {row[0]: row[1] for row in csv.reader(io.StringIO(text)) if row and row[1]}


# -- The reader's shell ---------------------------------------------------------------


def user_environment(wheelhouse: Path, constraints: Path) -> dict[str, str]:
    """A shell outside the workspace whose pip finds Nitro's wheels in *wheelhouse*
    (pinned to their versions) and everything else on the index."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(DROPPED_ENV_PREFIXES) and key not in DROPPED_ENV
    }
    active = os.environ.get("VIRTUAL_ENV")
    if active:  # `uv run` puts the workspace's venv first on PATH
        bin_dir = str(Path(active) / "bin")
        env["PATH"] = os.pathsep.join(
            part for part in env.get("PATH", "").split(os.pathsep) if part != bin_dir
        )
    env["PIP_FIND_LINKS"] = str(wheelhouse)
    env["PIP_CONSTRAINT"] = str(constraints)
    return env


def command_line(line: str, cwd: Path, python: str) -> list[str]:
    """The argv of one of the tutorial's command lines: ``python`` is *python*, a
    relative program path is resolved in *cwd*."""
    argv = shlex.split(line)
    if argv[0] == "python":
        argv[0] = python
    elif "/" in argv[0]:
        argv[0] = str(cwd / argv[0])
    return argv


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn binds: a closed connection in TIME_WAIT does not make it busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


INSPECT = """
import importlib.metadata as m, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        d = m.distribution(name)
    except m.PackageNotFoundError:
        continue
    out[name] = {"version": d.version, "record": d.read_text("RECORD") or ""}
print(json.dumps(out))
"""


def check_install(
    python: Path, cwd: Path, wheels: dict[str, tuple[str, Path]], report: Report
) -> None:
    """Each Nitro distribution in the venv is the wheelhouse's file for file; the
    app's requirements (uvicorn included, from nitro-fastapi) are installed."""
    names = [*wheels, "uvicorn", "fastapi", "sqlmodel"]
    found = json.loads(run([str(python), "-c", INSPECT, *names], cwd=cwd))
    report.installed = {name: info["version"] for name, info in found.items()}
    for required in ("nitro-core", "nitro-sql", "nitro-fastapi", "rusty-tags"):
        if required not in found:
            raise StepFailed(f"{PIP_INSTALL} did not install {required}")
    for name, info in found.items():
        if name not in wheels:
            continue
        version, wheel = wheels[name]
        installed = {
            row[0]: row[1] for row in csv.reader(io.StringIO(info["record"])) if row and row[1]
        }
        differing = [
            path for path, digest in wheel_record(wheel).items() if installed.get(path) != digest
        ]
        if info["version"] != version or differing:
            raise StepFailed(
                f"{name} {info['version']} in the venv is not {wheel.name} from the "
                f"wheelhouse (files differing: {differing[:5]})"
            )
        report.from_wheelhouse.append(f"{name} {version}")
    if "uvicorn" not in found:
        raise StepFailed(
            f"{PIP_INSTALL} did not install uvicorn, which the tutorial's app imports "
            "(nitro-core's [fastapi] extra should bring it)"
        )


def pip_phases(log: Path, step_seconds: float) -> dict[str, float]:
    """Split the pip step by the timestamps of pip's log (``PIP_LOG``)."""
    stamps: dict[str, float] = {}
    for line in log.read_text().splitlines():
        stamp, _, message = line.partition(" ")
        try:
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S,%f").timestamp()
        except ValueError:
            continue
        stamps.setdefault("first", when)
        if message.startswith("Installing collected packages"):
            stamps.setdefault("install", when)
        stamps["last"] = when
    if not {"first", "install", "last"} <= set(stamps):
        return {}
    logged = stamps["last"] - stamps["first"]
    return {
        "start pip": round(step_seconds - logged, 3),
        "resolve and download": round(stamps["install"] - stamps["first"], 3),
        "install (unpack, compile .pyc)": round(stamps["last"] - stamps["install"], 3),
    }


# -- The steps --------------------------------------------------------------------------


def first_page(url: str, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read().decode()
            break
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise StepFailed(f"GET {url} failed: {exc}") from exc
            time.sleep(0.05)
    if "<h1>Todos</h1>" not in body:
        raise StepFailed(f"GET {url} did not return the todo page:\n{body[:500]}")


def browse(url: str, datastar_js: Path, chromium_path: str, report: Report) -> None:
    """The reader in the browser: open the page, add a todo, tick it, reload."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        with timed(report, "browser launch (harness)", user=False):
            browser = playwright.chromium.launch(
                executable_path=chromium_path, headless=True, args=list(CHROMIUM_ARGS)
            )
        try:
            context = new_datastar_context(browser, datastar_js)
            with timed(report, "open the page (Datastar running)"):
                page = open_page(context, url)
            items = page.locator("#todos li")
            expect(items).to_have_count(0)
            with timed(report, "add a todo (appears in the list)"):
                page.locator("form input").fill(TODO_TITLE)
                page.locator("form button").click()
                expect(items).to_have_count(1)
                expect(items.first).to_contain_text(TODO_TITLE)
            checkbox = items.first.locator("input[type=checkbox]")
            with timed(report, "tick it (the server answered)"):
                # The box shows the tick at once; the toggle is stored once the action
                # has answered, which a reload must not overtake.
                with page.expect_response(lambda response: "/toggle" in response.url) as sent:
                    checkbox.click()
                if not sent.value.ok:
                    raise StepFailed(f"the toggle action answered {sent.value.status}")
                sent.value.finished()
                expect(checkbox).to_be_checked()
            with timed(report, "reload (still there, ticked)"):
                page.reload()
                page.wait_for_function("window.__datastarReady === true")
                expect(items).to_have_count(1)
                expect(items.first).to_contain_text(TODO_TITLE)
                expect(checkbox).to_be_checked()
            context.close()
        finally:
            browser.close()


def follow_tutorial(wheelhouse: Path, root: Path, report: Report) -> None:
    chromium_path = find_chromium()
    if chromium_path is None:
        raise MissingTool("Chromium is not installed (apt-get install chromium)")
    datastar_js, reason = fetch_datastar()
    if datastar_js is None:
        raise MissingTool(f"the Datastar client is not available: {reason}")

    wheels = wheels_of(wheelhouse)
    constraints = root / "constraints.txt"  # beside the reader's directory, not in it
    constraints.write_text("".join(f"{name}=={v}\n" for name, (v, _) in wheels.items()))
    env = user_environment(wheelhouse, constraints)
    python = sys.executable
    report.python = platform.python_version()

    with timed(report, "mkdir todo && cd todo"):
        todo = root / "todo"
        todo.mkdir()
    report.commands.append(MKDIR)

    argv = command_line(VENV, todo, python)
    report.commands.append(shlex.join(argv))
    with timed(report, "python -m venv .venv"):
        run(argv, cwd=todo, env=env)

    argv = command_line(PIP_INSTALL, todo, python)
    report.commands.append(shlex.join(argv))
    pip_log = root / "pip.log"  # pip's own log, with timestamps (PIP_LOG)
    with timed(report, "pip install nitro-core[sql,fastapi]"):
        output = run(argv, cwd=todo, env={**env, "PIP_LOG": str(pip_log)})
    report.pip_phases = pip_phases(pip_log, report.steps[-1].seconds)
    lines = output.splitlines()
    report.pip_downloaded = [
        line.strip().removeprefix("Downloading ")
        for line in lines
        if line.strip().startswith("Downloading ")
    ]
    report.pip_downloads = len(report.pip_downloaded)
    report.pip_cached = sum(line.strip().startswith("Using cached ") for line in lines)
    report.pip_cache = "cold (PIP_NO_CACHE_DIR)" if env.get("PIP_NO_CACHE_DIR") else "warm"

    venv_python = todo / ".venv" / "bin" / "python"
    with timed(report, "check the install (harness)", user=False):
        report.pip = run([str(todo / ".venv/bin/pip"), "--version"], cwd=todo, env=env).split()[1]
        check_install(venv_python, todo, wheels, report)

    with timed(report, "save app.py"):
        shutil.copyfile(APP_SOURCE, todo / "app.py")

    argv = command_line(RUN_APP, todo, python)
    port = DEFAULT_PORT
    note = ""
    if not port_is_free(port):  # the app takes uvicorn's options
        port = free_port()
        argv += ["--port", str(port)]
        note = f"port {DEFAULT_PORT} was busy"
    report.port = port
    report.commands.append(shlex.join(argv))
    url = f"http://127.0.0.1:{port}/"
    log_path = root / "app.log"
    with log_path.open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            argv, cwd=todo, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            try:
                wait_for_port(port, process, timeout=60)
            except (RuntimeError, TimeoutError) as exc:
                raise StepFailed(f"{RUN_APP} did not start: {exc}") from exc
            report.add("python app.py (listening)", time.monotonic() - started, note=note)
            with timed(report, "first page (GET /)"):
                first_page(url, process)
            browse(url, datastar_js, chromium_path, report)
        except StepFailed as exc:
            raise StepFailed(f"{exc}\n--- app.log ---\n{log_path.read_text()[-3000:]}") from exc
        finally:
            stop_process(process)
    if not (todo / "nitro.db").exists():
        raise StepFailed("the todos were not stored in ./nitro.db")


def main(argv: list[str] | None = None) -> Report:
    """Follow the tutorial; the report (``ok`` false and ``error`` set on failure)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheelhouse", type=Path, help="Nitro's wheels (default: build them)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="nitro-first-app-") as tmp:
        root = Path(tmp)
        try:
            wheelhouse = args.wheelhouse
            if wheelhouse is None:
                wheelhouse = root / "wheels"
                with timed(report, "uv build --all-packages --wheel", user=False,
                           note="not a user step: stands in for PyPI"):  # fmt: skip
                    build_wheels(wheelhouse)
                report.wheel_build_seconds = report.steps[-1].seconds
            report.wheelhouse = str(wheelhouse.resolve())
            follow_tutorial(wheelhouse.resolve(), root, report)
            report.ok = True
        except MissingTool as exc:
            report.error = report.missing = str(exc)
        except StepFailed as exc:
            report.error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a Playwright assertion, a timeout: still a report
            report.error = f"{type(exc).__name__}: {exc}"
    user = [step for step in report.steps if step.user]
    report.user_seconds = round(sum(step.seconds for step in user), 3)
    if user and report.user_seconds:
        top = max(user, key=lambda step: step.seconds)
        report.dominant = top.name
        report.dominant_share = round(top.seconds / report.user_seconds, 3)
    return report


def print_table(report: Report) -> None:
    print(f"Time to first app: Python {report.python}, pip {report.pip}, pip cache "
          f"{report.pip_cache}, port {report.port}")  # fmt: skip
    print(f"{'step':<40} {'seconds':>8}  user?")
    for step in report.steps:
        note = f"  ({step.note})" if step.note else ""
        print(f"{step.name:<40} {step.seconds:>8.2f}  {'yes' if step.user else 'no'}{note}")
        if step.name.startswith("pip install"):
            for phase, seconds in report.pip_phases.items():
                print(f"  {phase:<38} {seconds:>8.2f}")
    print(f"{'total user time (no wheel build)':<40} {report.user_seconds:>8.2f}")
    if report.dominant:
        print(f"dominated by: {report.dominant} ({report.dominant_share:.0%} of the user time)")
    print(f"pip: {report.pip_downloads} files downloaded, {report.pip_cached} from its cache")
    if report.from_wheelhouse:
        print("from the wheelhouse: " + ", ".join(report.from_wheelhouse))
    target = "under 5 minutes" if report.user_seconds < 300 else "OVER 5 minutes"
    print("OK" if report.ok else f"FAILED: {report.error}", f"({target})" if report.ok else "")


def cli() -> int:
    report = main()
    if "--json" in sys.argv[1:]:
        print(json.dumps(asdict(report), indent=2))
    else:
        print_table(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(cli())
