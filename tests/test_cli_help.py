"""Every ``nitro`` command's ``--help``, compared with its snapshot in
``tests/snapshots/cli/`` (``NITRO_UPDATE_SNAPSHOTS=1`` rewrites them after a deliberate
change), and bad arguments: exit 2 with a message naming the argument.

The commands are found by walking the Click command tree, so a new command without a
snapshot fails here until one is written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from nitro.cli import build_cli

NITRO = Path(sys.executable).with_name("nitro")
SNAPSHOTS = Path(__file__).parent / "snapshots" / "cli"
#: Help text wraps at the terminal's width: fix it.
ENV = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}


def commands(command: click.Command, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None, name
            yield from commands(sub, (*prefix, name))


ALL = list(commands(build_cli()))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NITRO), *args], capture_output=True, text=True, timeout=60, env=ENV)


@pytest.mark.parametrize("command", ALL, ids=[" ".join(c) or "nitro" for c in ALL])
def test_help_matches_its_snapshot(command: tuple[str, ...]) -> None:
    done = run(*command, "--help")
    assert done.returncode == 0, done.stderr
    snapshot = SNAPSHOTS / f"{'_'.join(command) or 'nitro'}.txt"
    if os.environ.get("NITRO_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(done.stdout)
    assert snapshot.exists(), f"no snapshot for 'nitro {' '.join(command)} --help': write it"
    assert done.stdout == snapshot.read_text()


def test_every_command_says_what_it_does() -> None:
    for command in ALL[1:]:
        text = (SNAPSHOTS / f"{'_'.join(command)}.txt").read_text()
        assert text.startswith("Usage: nitro "), command
        assert "Example: " in text, command
        assert len(text.splitlines()) >= 3, command


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["nope"], "No such command 'nope'"),
        (["init"], "Missing argument 'NAME'"),
        (["init", "shop", "--framework", "rails"], "Invalid value for '--framework'"),
        (["init", "shop", "--colour"], "No such option '--colour'"),
        (["generate", "entity", "Product"], "Missing argument 'FIELDS...'"),
        (["dev", "app:app", "--port", "eighty"], "Invalid value for '--port'"),
        (["db", "stamp"], "Missing argument 'REVISION'"),
        (["routes"], "Missing argument 'APP'"),
        (["worker", "-c", "0"], "Invalid value for '--concurrency'"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(args: list[str], named: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert named in done.stderr
