"""Nitro: rich domain entities, swappable persistence and live HTML for Python web apps.

``nitro`` is one import namespace shared by several distributions: nitro-core owns this
module, and the siblings (nitro-sql, nitro-redis, the framework adapters, nitro-admin,
nitro-cqrs) add ``nitro.sql``, ``nitro.redis``, ``nitro.adapters.*`` and so on. The
``extend_path`` line lets those portions live in other directories of ``sys.path``,
which is what both editable workspace installs and plain side-by-side wheels produce.
"""

__path__ = __import__("pkgutil").extend_path(__path__, __name__)

from nitro._version import __version__ as __version__
from nitro.actions import action as action
from nitro.entity import Entity as Entity
from nitro.events import Event as Event
from nitro.events import event as event
from nitro.events import on as on
from nitro.events import post_delete as post_delete
from nitro.events import post_save as post_save
from nitro.events import pre_delete as pre_delete
from nitro.events import pre_save as pre_save
from nitro.ids import new_id as new_id
from nitro.persistence import MemoryRepo as MemoryRepo
from nitro.persistence import NotFound as NotFound
from nitro.persistence import Repository as Repository
from nitro.persistence import set_default_backend as set_default_backend
from nitro.persistence import use_backend as use_backend
from nitro.specification import FieldEquals as FieldEquals
from nitro.specification import Specification as Specification
from nitro.specification import where as where

__all__ = [
    "Entity",
    "Event",
    "FieldEquals",
    "MemoryRepo",
    "NotFound",
    "Repository",
    "Specification",
    "__version__",
    "action",
    "event",
    "new_id",
    "on",
    "post_delete",
    "post_save",
    "pre_delete",
    "pre_save",
    "set_default_backend",
    "use_backend",
    "where",
]
