"""Where the ``nitro`` command writes: Rich consoles on stdout and stderr.

Rich turns colour and live progress off by itself when the output is not a terminal
(a pipe, a file, CI) and when ``NO_COLOR`` is set, so scripts read plain lines. Lines
are never wrapped (``soft_wrap``): a path or a message stays on one line whatever the
width, and what a script greps for is not split.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn

__all__ = ["err", "fail", "out", "steps"]


@cache
def out() -> Console:
    return Console(soft_wrap=True, highlight=False)


@cache
def err() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def fail(command: str, message: str, code: int = 2) -> int:
    """Say why *command* could not do its work (``nitro init: ...``) on stderr; return
    *code*, the exit status (2: the arguments, 1: the work itself)."""
    err().print(f"[bold red]{escape(command)}:[/] {escape(message)}")
    return code


class Steps:
    """Advances a progress bar by one named step at a time."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress, self._task = progress, task

    def __call__(self, description: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=description)


@contextmanager
def steps(description: str, total: int) -> Iterator[Steps]:
    """A progress bar on stderr for a long job of *total* steps, gone when it ends;
    nothing at all when stderr is not a terminal or there is no step."""
    console = err()
    if not console.is_terminal or total == 0:
        yield Steps(None, None)
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        yield Steps(progress, progress.add_task(description, total=total))
