"""Unit of work: several repository operations that succeed or fail together.

.. code-block:: python

    with MemoryUnitOfWork() as uow:  # or nitro.sql.UnitOfWork(): a transaction
        orders = uow.repo(Order)  # a typed repository inside the unit
        orders.save(order)
        product.save()  # entity calls join the active unit too
        uow.publish(order_placed, order)  # sent only after the commit succeeded
        uow.commit()  # nothing is kept without this line

    async with AsyncMemoryUnitOfWork() as uow:
        await uow.repo(Order).save(order)
        await uow.commit()

The rules, the same for every implementation:

* leaving the block without ``commit()`` (or with an exception) rolls back everything
  done in it, including ``entity.save()`` calls made while it was active;
* a unit opened inside another one of the same kind is *nested*: its rollback undoes
  only its own work, its commit hands its work (and events) to the outer unit;
* events queued with ``publish`` (and every ``post_save``/``post_delete`` sent while a
  unit is active) go out after the outermost commit succeeded, and are dropped on
  rollback;
* ``uow.repo(Order)`` is the repository of a class inside the unit; the older
  ``uow.orders`` (after ``UnitOfWork(orders=Order)``) still works and warns.

:class:`UnitOfWork` (``with``) and :class:`AsyncUnitOfWork` (``async with``) share one
small core (:class:`UnitCore`: registration, nesting, the event queue); ``async with``
on a sync unit enters its async twin. :class:`MemoryUnitOfWork` buffers writes and
applies them on commit (see :mod:`nitro.uow.memory`); nitro-sql's ``UnitOfWork`` is a
real transaction.
"""

from nitro.persistence.units import current_unit as current_unit
from nitro.uow._core import UnitCore as UnitCore
from nitro.uow._core import publish as publish
from nitro.uow._repository import AsyncUnitRepository as AsyncUnitRepository
from nitro.uow._repository import UnitRepository as UnitRepository
from nitro.uow._units import AsyncUnitOfWork as AsyncUnitOfWork
from nitro.uow._units import UnitOfWork as UnitOfWork
from nitro.uow.memory import AsyncMemoryUnitOfWork as AsyncMemoryUnitOfWork
from nitro.uow.memory import BufferedRepository as BufferedRepository
from nitro.uow.memory import MemoryUnitOfWork as MemoryUnitOfWork

#: The shared core under its first name.
BaseUnitOfWork = UnitCore

__all__ = [
    "AsyncMemoryUnitOfWork",
    "AsyncUnitOfWork",
    "AsyncUnitRepository",
    "BaseUnitOfWork",
    "BufferedRepository",
    "MemoryUnitOfWork",
    "UnitCore",
    "UnitOfWork",
    "UnitRepository",
    "current_unit",
    "publish",
]
