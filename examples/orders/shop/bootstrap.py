"""The composition root: the one place where the handlers meet their dependencies.

Production code calls :func:`bootstrap` once at start-up; a test calls it with fakes.
"""

from __future__ import annotations

import os

from nitro.broadcast import Broadcaster
from nitro.cqrs import Bus, LogMessages, RetryOnConflict
from nitro.cqrs.jobs import Engine, configure_jobs
from nitro.cqrs.outbox import Outbox
from nitro.sql import Database, configure
from shop import jobs as shop_jobs
from shop.handlers import bus
from shop.mail import MAIL_LOG, Mailer, default_mailer

__all__ = ["JOBS_URL", "MAIL_LOG", "bootstrap"]

#: The setting that moves the confirmation mail to a background job (see the README).
JOBS_URL = "NITRO_JOBS_URL"


def bootstrap(
    mailer: Mailer | None = None,
    database: str | Database | None = None,
    broadcaster: Broadcaster | None = None,
    jobs: Engine | str | None = None,
) -> Bus:
    """The shop's bus, wired.

    :param mailer: what sends confirmations (default: a :class:`RecordingMailer`
        writing to ``ORDERS_MAIL_LOG``, else ``sent_mail.jsonl`` in the working
        directory).
    :param database: the SQL database of the entities and the outbox (default: the one
        in effect: ``NITRO_DATABASE_URL``, else ``sqlite:///nitro.db``).
    :param broadcaster: where the new stock goes after each order (the web app's).
    :param jobs: the jobs engine that sends the confirmations in the background (an
        :class:`~nitro.cqrs.jobs.Engine` or a URL; default: ``NITRO_JOBS_URL``). Without
        one, a confirmation is mailed in this process right after the order's commit.
    """
    if database is not None:
        configure(database)  # the entities use it too: one transaction for both
    mailer = mailer or default_mailer()
    jobs = jobs or os.environ.get(JOBS_URL) or None
    engine = None
    if jobs is not None:
        # Jobs enqueued in a unit of work go through an outbox on the same database,
        # in the unit's transaction. An Outbox of their own: each one relays for one
        # bus (this one for the jobs' bus, the shop's for the shop's).
        engine = configure_jobs(jobs, outbox=Outbox())
        shop_jobs.use_mailer(mailer)  # for jobs run in this process (inprocess://)
    return bus.bootstrap(
        outbox=Outbox(),  # the database in effect, looked up at each use
        mailer=mailer,
        broadcaster=broadcaster,
        job_engine=engine,
        middleware=[LogMessages(), RetryOnConflict(attempts=10)],
    )
