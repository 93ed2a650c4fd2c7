"""Commands, queries, events and the bus that runs their handlers.

.. code-block:: python

    from nitro.cqrs import Bus, Command, Event, Query

    bus = Bus()


    @bus.handles(PlaceOrder)
    def place_order(cmd: PlaceOrder, uow: UnitOfWork) -> None: ...


    app_bus = bootstrap(bus, mailer=SmtpMailer())  # dependencies, in one place
    app_bus.send(PlaceOrder(order_id="o1", items=[...]))

See docs/cqrs.md for the rules (a unit of work per command, read-only queries, events
after the commit, the transactional outbox) and for when plain entity actions are enough.
"""

from importlib.metadata import version as _version
from typing import Any

from nitro.cqrs.bus import Bus, HandlerConflict, UnknownMessage, record
from nitro.cqrs.delivery import Failure
from nitro.cqrs.errors import Rejected
from nitro.cqrs.handlers import MissingDependency, Provide, Retry
from nitro.cqrs.messages import Command, Event, Message, Query, message_name
from nitro.cqrs.middleware import LogMessages, RetryOnConflict, Timing
from nitro.cqrs.readonly import QueryWriteError

#: The installed version of nitro-cqrs (from its distribution metadata).
__version__: str = _version("nitro-cqrs")


def bootstrap(bus: Bus, /, **configuration: Any) -> Bus:
    """The composition root: *bus*'s handlers with their dependencies
    (``uow=``, ``middleware=``, ``outbox=`` and any named dependency); see
    :meth:`Bus.bootstrap`. Production code calls it once at start-up, a test calls it
    with fakes."""
    return bus.bootstrap(**configuration)


def __getattr__(name: str) -> Any:
    if name == "Outbox":  # needs nitro-sql: imported on first use
        from nitro.cqrs.outbox import Outbox

        return Outbox
    raise AttributeError(f"module 'nitro.cqrs' has no attribute {name!r}")


__all__ = [
    "Bus",
    "Command",
    "Event",
    "Failure",
    "HandlerConflict",
    "LogMessages",
    "Message",
    "MissingDependency",
    "Provide",
    "Query",
    "QueryWriteError",
    "Rejected",
    "Retry",
    "RetryOnConflict",
    "Timing",
    "UnknownMessage",
    "__version__",
    "bootstrap",
    "message_name",
    "record",
]
