"""Nitro: rich domain entities, swappable persistence and live HTML for Python web apps.

``nitro`` is one import namespace shared by several distributions: nitro-core owns this
module, and the siblings (nitro-sql, nitro-redis, the framework adapters, nitro-admin,
nitro-cqrs) add ``nitro.sql``, ``nitro.redis``, ``nitro.adapters.*`` and so on. The
``extend_path`` line lets those portions live in other directories of ``sys.path``,
which is what both editable workspace installs and plain side-by-side wheels produce.
"""

__path__ = __import__("pkgutil").extend_path(__path__, __name__)

from nitro._version import __version__ as __version__  # noqa: E402

__all__ = ["__version__"]
