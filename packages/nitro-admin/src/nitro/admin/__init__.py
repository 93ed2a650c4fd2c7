"""The auto-generated Nitro admin."""

from importlib.metadata import version as _version

__version__: str = _version("nitro-admin")

__all__ = ["__version__"]
