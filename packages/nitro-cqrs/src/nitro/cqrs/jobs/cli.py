"""``nitro worker``: run a worker of the configured job engine.

.. code-block:: bash

    NITRO_JOBS_URL=celery+redis://localhost:6379/0 nitro worker --import myapp.jobs
    nitro worker --url rq+redis://localhost:6379/0 --queue default --queue mail -c 4

``--import`` names the modules that define the app's ``@job`` functions (repeatable;
default: ``$NITRO_JOBS_IMPORT``, comma-separated). SIGTERM or SIGINT stops the worker
after the job in progress (or returns that job to its queue, as the engine does).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from typing import Any

import click

__all__ = ["run_worker", "worker"]

IMPORT_VAR = "NITRO_JOBS_IMPORT"


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--url", help="the engine URL  [default: $NITRO_JOBS_URL]")
@click.option(
    "--import",
    "imports",
    multiple=True,
    metavar="MODULE",
    help=f"a module defining @job functions (repeatable)  [default: ${IMPORT_VAR}]",
)
@click.option(
    "--queue",
    "-Q",
    "queues",
    multiple=True,
    help="a queue to take jobs from (repeatable)  [default: default]",
)
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="jobs at a time",
)
@click.option(
    "--bootstrap",
    metavar="MODULE:FUNCTION",
    help="a function called once before the worker starts (give jobs their services)",
)
def worker(
    url: str | None,
    imports: tuple[str, ...],
    queues: tuple[str, ...],
    concurrency: int,
    bootstrap: str | None,
) -> int:
    """Run a background-job worker (nitro-cqrs).

    The engine is NITRO_JOBS_URL (or --url). SIGTERM or SIGINT stops it after the job
    in progress.

    Example: nitro worker --url rq+redis://localhost:6379/0 --import jobs -c 4
    """
    chosen = list(imports) or [m for m in os.environ.get(IMPORT_VAR, "").split(",") if m]
    return run_worker(url, chosen, list(queues) or ["default"], concurrency, bootstrap=bootstrap)


def run_worker(
    url: str | None,
    imports: list[str],
    queues: list[str],
    concurrency: int,
    *,
    bootstrap: str | None = None,
) -> int:
    """Import the job modules, call *bootstrap* (``module:function``), configure the
    engine, run until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The engines' own per-message lines ("received", "succeeded") at INFO cost as much
    # as a short job; Nitro's runner logs what matters (retries, dead letters).
    for noisy in ("celery", "dramatiq", "rq.worker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.path.insert(0, os.getcwd())
    for module in imports:
        importlib.import_module(module)
    if bootstrap is not None:
        module_name, _, function = bootstrap.partition(":")
        if not function:
            raise SystemExit(f"--bootstrap {bootstrap!r}: write it as module:function")
        getattr(importlib.import_module(module_name), function)()
    from nitro.cqrs.jobs.config import configure_jobs

    engine = configure_jobs(url)
    stop = threading.Event()

    def stop_gracefully(signum: int, frame: Any) -> None:
        logging.getLogger("nitro.jobs").info("signal %d: stopping after the current job", signum)
        stop.set()

    signal.signal(signal.SIGTERM, stop_gracefully)
    signal.signal(signal.SIGINT, stop_gracefully)
    try:
        engine.run_worker(queues, concurrency, stop)
    finally:
        engine.close()
    return 0
