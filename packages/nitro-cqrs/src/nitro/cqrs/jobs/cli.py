"""``nitro worker``: run a worker of the configured job engine.

.. code-block:: bash

    NITRO_JOBS_URL=celery+redis://localhost:6379/0 nitro worker --import myapp.jobs
    nitro worker --url rq+redis://localhost:6379/0 --queue default --queue mail -c 4

``--import`` names the modules that define the app's ``@job`` functions (repeatable;
default: ``$NITRO_JOBS_IMPORT``, comma-separated). SIGTERM or SIGINT stops the worker
after the job in progress (or returns that job to its queue, as the engine does).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from typing import Any

__all__ = ["register", "run_worker"]

IMPORT_VAR = "NITRO_JOBS_IMPORT"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``nitro worker`` to the ``nitro`` command."""
    worker = subparsers.add_parser(
        "worker",
        help="run a background-job worker (nitro-cqrs)",
        description="Run a worker of the configured job engine (NITRO_JOBS_URL).",
    )
    worker.add_argument("--url", help="the engine URL (default: $NITRO_JOBS_URL)")
    worker.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help=f"a module defining @job functions (repeatable; default: ${IMPORT_VAR})",
    )
    worker.add_argument(
        "--queue", "-Q", dest="queues", action="append", default=[], help="queue (repeatable)"
    )
    worker.add_argument("--concurrency", "-c", type=int, default=1, help="jobs at a time")
    worker.add_argument(
        "--bootstrap",
        metavar="MODULE:FUNCTION",
        help="a function called once before the worker starts (give jobs their services)",
    )
    worker.set_defaults(func=_worker)


def _worker(args: argparse.Namespace) -> int:
    imports = args.imports or [m for m in os.environ.get(IMPORT_VAR, "").split(",") if m]
    queues = args.queues or ["default"]
    return run_worker(args.url, imports, queues, args.concurrency, bootstrap=args.bootstrap)


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
