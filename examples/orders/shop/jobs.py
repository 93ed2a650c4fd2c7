"""The shop's background jobs, run by a worker when a jobs engine is configured:

    cd examples/orders
    NITRO_JOBS_URL=rq+redis://localhost:6379/0 uv run --all-packages nitro worker --import shop.jobs

A worker only imports this module; nothing here needs the database or the web app.
The arguments of a job are data (ids, strings, numbers, order lines), sent as JSON.
"""

from __future__ import annotations

from nitro.cqrs.jobs import JobRetry, job
from shop.domain import OrderLine
from shop.mail import Mailer, default_mailer, send_confirmation_mail

#: A mail service that is down or slow is tried again: 5 tries, waiting up to 1, 2, 4
#: and 8 seconds in between; then the job is in the dead-letter queue, from where it can
#: be retried (docs/jobs.md). Any other error (a bug, a refused address) sends it there
#: at once.
MAIL_RETRY = JobRetry(
    max_tries=5, backoff=1.0, max_delay=60.0, retry_on=(ConnectionError, TimeoutError)
)

#: The mailer of this process's jobs (see :func:`jobs_mailer`): one per process, as the
#: jobs engine is (``configure_jobs``).
_mailer: Mailer | None = None


def use_mailer(mailer: Mailer) -> None:
    """Make *mailer* the one the jobs of this process send with (:func:`bootstrap` does,
    for jobs that run in the web process: the in-process engine)."""
    global _mailer
    _mailer = mailer


def jobs_mailer() -> Mailer:
    """The mailer of this process's jobs: the one given to :func:`use_mailer`, else (a
    worker, which only imports this module) :func:`~shop.mail.default_mailer`."""
    global _mailer
    if _mailer is None:
        _mailer = default_mailer()
    return _mailer


@job(retry=MAIL_RETRY)
def send_confirmation(
    order_id: str, email: str, lines: list[OrderLine], total_cents: int, key: str
) -> None:
    """Mail an order's confirmation. *key* (the OrderPlaced event's id) is the mail's
    idempotency key, as it is the job's (``.options(key=...)``, see ``shop.handlers``)."""
    send_confirmation_mail(
        jobs_mailer(),
        order_id=order_id,
        email=email,
        lines=lines,
        total_cents=total_cents,
        key=key,
    )
