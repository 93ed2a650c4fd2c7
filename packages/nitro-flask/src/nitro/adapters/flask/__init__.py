"""Nitro on Flask."""

from importlib.metadata import version as _version

__version__: str = _version("nitro-flask")

__all__ = ["__version__"]
