"""examples/orders with a jobs engine, as its README's "Background confirmation" says:
a real server process with ``NITRO_JOBS_URL`` set, a real ``nitro worker --import
shop.jobs`` run from ``examples/orders``, and a real redis-server (RQ engine).

As in ``test_example_orders.py`` the example's modules are never imported here: the
tests talk HTTP to the app, read the mail log, and look at the database and at the job
store in Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nitro_orders import (
    CLEARED,
    EXAMPLE,
    JOB_REQUESTED,
    Worker,
    job_states,
    mails,
    orders_app,
    outbox,
    place,
)
from nitro_test_services import wait_for


@pytest.fixture
def jobs_url(redis_url: str) -> str:
    return f"rq+{redis_url}"


@pytest.fixture
def worker(jobs_url: str, tmp_path: Path) -> Iterator[Worker]:
    started = Worker(jobs_url, tmp_path)
    yield started
    started.stop()


def test_the_readme_documents_the_background_confirmation():
    readme = (EXAMPLE / "README.md").read_text()
    assert "## Background confirmation" in readme
    assert "uv run --all-packages nitro worker --import shop.jobs" in readme
    assert "NITRO_JOBS_URL=rq+redis://localhost:6379/0" in readme


@pytest.mark.redis
def test_a_worker_mails_each_order_once_and_a_refused_order_nothing(tmp_path, jobs_url, worker):
    worker.start()
    with orders_app(tmp_path, jobs_url) as base_url, httpx.Client(base_url=base_url) as client:
        refused = place(client, "zoe@example.com", {"tea": 2, "kettle": 4})
        assert refused.status_code == 422
        placed = {}
        for n, email in enumerate(["ann@example.com", "bob@example.com", "cy@example.com"]):
            started = time.monotonic()
            answer = place(client, email, {"tea": 1, "mug": n + 1})
            assert answer.status_code == 200, answer.text
            assert time.monotonic() - started < 5  # answered at once: nothing waits on mail
            placed[answer.json()["result"]["order_id"]] = email

        sent = wait_for(lambda: len(mails(tmp_path)) >= 3 and mails(tmp_path), what="3 mails")
        time.sleep(2)  # no second copy shows up
        assert mails(tmp_path) == sent
        assert {mail["subject"]: mail["to"] for mail in sent} == {
            f"Order {order_id} confirmed": email for order_id, email in placed.items()
        }
        assert "zoe@example.com" not in {mail["to"] for mail in sent}

    # One OrderPlaced per order, each the key of its mail; one job per order, sent.
    events = outbox(tmp_path, "shop.messages.OrderPlaced")
    assert sorted(mail["key"] for mail in sent) == sorted(event_id for event_id, _ in events)
    requested = outbox(tmp_path, JOB_REQUESTED)
    assert len(requested) == 3
    assert all(delivered_at is not None for _, delivered_at in requested)
    job_ids = [job_id for job_id, _ in requested]
    assert job_states(jobs_url, job_ids) == [("done", 1)] * 3


@pytest.mark.redis
def test_with_no_worker_an_order_succeeds_and_is_mailed_once_a_worker_starts(
    tmp_path, jobs_url, worker
):
    with orders_app(tmp_path, jobs_url) as base_url, httpx.Client(base_url=base_url) as client:
        answer = place(client, "ann@example.com", {"tea": 2, "mug": 1})
        assert answer.status_code == 200, answer.text
        order_id = answer.json()["result"]["order_id"]
        assert client.get("/api/stock").json()["sales"] == {"orders": 1, "items": 3}

        # The job left the outbox for Redis, and waits there: the web process mails nothing.
        [(job_id, delivered_at)] = outbox(tmp_path, JOB_REQUESTED)
        assert delivered_at is not None
        time.sleep(2)
        assert mails(tmp_path) == []
        assert job_states(jobs_url, [job_id]) == [("queued", 1)]

        worker.start()
        [mail] = wait_for(lambda: mails(tmp_path), what="the mail, once a worker runs")
        time.sleep(2)
        assert mails(tmp_path) == [mail]
    assert mail["subject"] == f"Order {order_id} confirmed"
    assert mail["body"] == "Thank you! 2 x tea, 1 x mug; total 21.00."
    [(event_id, _)] = outbox(tmp_path, "shop.messages.OrderPlaced")
    assert mail["key"] == event_id
    assert job_states(jobs_url, [job_id]) == [("done", 1)]


#: The app with the in-process engine (``bootstrap`` given one) and a mailer that fails
#: as a mail service does: the job is tried again on ConnectionError, not on a refusal.
FLAKY_MAILER = textwrap.dedent(
    """
    import json
    import sys

    from nitro.cqrs.jobs import current_engine

    from app import create_app


    class Mailer:
        def __init__(self, error, failures):
            self.error, self.failures, self.tries, self.sent = error, failures, 0, []

        def send(self, *, to, subject, body, key):
            self.tries += 1
            if self.tries <= self.failures:
                raise self.error("the mail service did not answer")
            self.sent.append(subject)


    error = {"ConnectionError": ConnectionError, "ValueError": ValueError}[sys.argv[2]]
    mailer = Mailer(error, failures=int(sys.argv[3]))
    app = create_app(sys.argv[1], mailer, relay=False, jobs="inprocess://")
    order = {"email": "ann@example.com", "quantities": {"tea": 1}}
    answer = app.test_client().post("/checkout/place", json=order)
    engine = current_engine()
    assert engine.drain(60)
    print(json.dumps({
        "status": answer.status_code,
        "order_id": answer.get_json()["result"]["order_id"],
        "tries": mailer.tries,
        "sent": mailer.sent,
        "dead": [record.reason for record in engine.store.dead_letters()],
    }))
    """
)


@pytest.mark.parametrize(
    ("error", "failures", "tries", "mailed", "dead"),
    [
        ("ConnectionError", 2, 3, True, []),  # a transient error: tried again
        ("ValueError", 9, 1, False, ["ValueError is not retried"]),  # a dead letter at once
    ],
)
def test_the_confirmation_job_retries_transient_mail_errors(
    tmp_path, error, failures, tries, mailed, dead
):
    script = tmp_path / "flaky.py"
    script.write_text(FLAKY_MAILER)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["PYTHONPATH"] = str(EXAMPLE)
    env["ORDERS_MAIL_LOG"] = str(tmp_path / "sent_mail.jsonl")
    database = f"sqlite:///{tmp_path / 'orders.db'}"
    run = subprocess.run(
        [sys.executable, str(script), database, error, str(failures)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["status"] == 200
    assert result["tries"] == tries
    expected = [f"Order {result['order_id']} confirmed"] if mailed else []
    assert result["sent"] == expected
    assert result["dead"] == dead
    assert mails(tmp_path) == []  # the given mailer, not the default one
