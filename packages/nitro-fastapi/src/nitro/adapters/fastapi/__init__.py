"""Nitro on FastAPI."""

from importlib.metadata import version as _version

__version__: str = _version("nitro-fastapi")

__all__ = ["__version__"]
