"""examples/orders served with a jobs engine and its worker, for the tests that run
them as real processes (``test_example_orders_jobs.py``,
``test_observability_processes.py``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from nitro_examples import CLEARED_ENV, EXAMPLES, serve_example

from nitro.cqrs.jobs import engine_for_url

EXAMPLE = EXAMPLES / "orders"
JOB = "shop.jobs.send_confirmation"
JOB_REQUESTED = "nitro.cqrs.jobs.enqueue.JobRequested"
#: Settings of the developer's shell that would send the processes elsewhere.
CLEARED = (*CLEARED_ENV, "NITRO_JOBS_URL", "NITRO_JOBS_IMPORT", "ORDERS_MAIL_LOG")


def mails(workdir: Path) -> list[dict[str, Any]]:
    log = workdir / "sent_mail.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def outbox(workdir: Path, event_type: str) -> list[tuple[str, float | None]]:
    """``(id, delivered_at)`` of the outbox rows of *event_type* in the example's database."""
    engine = sa.create_engine(f"sqlite:///{workdir / 'orders.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, delivered_at FROM nitro_outbox WHERE type = :t"),
                {"t": event_type},
            )
            return [(row.id, row.delivered_at) for row in rows]
    finally:
        engine.dispose()


class Worker:
    """``nitro worker --import shop.jobs``, run from examples/orders as the README says."""

    def __init__(self, jobs_url: str, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.jobs_url = jobs_url
        self.workdir = workdir
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        nitro = Path(sys.executable).with_name("nitro")  # the workspace's `nitro` command
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env["NITRO_JOBS_URL"] = self.jobs_url
        env["ORDERS_MAIL_LOG"] = str(self.workdir / "sent_mail.jsonl")
        env.update(self.env)
        with (self.workdir / "worker.log").open("ab") as log:  # the child keeps its copy
            self.process = subprocess.Popen(
                [str(nitro), "worker", "--import", "shop.jobs"],
                cwd=EXAMPLE,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its RQ worker processes go with it
            )

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C would: the worker finishes its job and exits."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            raise AssertionError("the worker did not stop on SIGTERM") from None

    def log(self) -> str:
        path = self.workdir / "worker.log"
        return path.read_text(errors="replace") if path.exists() else ""


def orders_app(workdir: Path, jobs_url: str, env: dict[str, str] | None = None) -> Any:
    """The example served from *workdir* (database and mail log there), with a jobs engine."""
    settings = {"NITRO_JOBS_URL": jobs_url, "ORDERS_MAIL_LOG": str(workdir / "sent_mail.jsonl")}
    return serve_example("orders", workdir, {**settings, **(env or {})})


def place(client: httpx.Client, email: str, quantities: dict[str, int]) -> httpx.Response:
    return client.post("/checkout/place", json={"email": email, "quantities": quantities})


def job_states(jobs_url: str, job_ids: list[str]) -> list[tuple[str, int] | None]:
    """``(state, attempt)`` of each job in the engine's store in Redis."""
    engine = engine_for_url(jobs_url)
    try:
        records = [engine.store.get(job_id) for job_id in job_ids]
        return [None if r is None else (r.state, r.envelope.attempt) for r in records]
    finally:
        engine.close()
