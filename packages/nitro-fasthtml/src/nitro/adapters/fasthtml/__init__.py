"""Nitro on FastHTML."""

from importlib.metadata import version as _version

__version__: str = _version("nitro-fasthtml")

__all__ = ["__version__"]
