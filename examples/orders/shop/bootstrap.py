"""The composition root: the one place where the handlers meet their dependencies.

Production code calls :func:`bootstrap` once at start-up; a test calls it with fakes.
"""

from __future__ import annotations

import os

from nitro.broadcast import Broadcaster
from nitro.cqrs import Bus, LogMessages, RetryOnConflict
from nitro.cqrs.outbox import Outbox
from nitro.sql import Database, configure
from shop.handlers import bus
from shop.mail import Mailer, RecordingMailer

#: Where the fake mailer writes, unless ``ORDERS_MAIL_LOG`` says otherwise.
MAIL_LOG = "sent_mail.jsonl"


def bootstrap(
    mailer: Mailer | None = None,
    database: str | Database | None = None,
    broadcaster: Broadcaster | None = None,
) -> Bus:
    """The shop's bus, wired.

    :param mailer: what sends confirmations (default: a :class:`RecordingMailer`
        writing to ``ORDERS_MAIL_LOG``, else ``sent_mail.jsonl`` in the working
        directory).
    :param database: the SQL database of the entities and the outbox (default: the one
        in effect: ``NITRO_DATABASE_URL``, else ``sqlite:///nitro.db``).
    :param broadcaster: where the new stock goes after each order (the web app's).
    """
    if database is not None:
        configure(database)  # the entities use it too: one transaction for both
    return bus.bootstrap(
        outbox=Outbox(),  # the database in effect, looked up at each use
        mailer=mailer or RecordingMailer(os.environ.get("ORDERS_MAIL_LOG") or MAIL_LOG),
        broadcaster=broadcaster,
        middleware=[LogMessages(), RetryOnConflict(attempts=10)],
    )
