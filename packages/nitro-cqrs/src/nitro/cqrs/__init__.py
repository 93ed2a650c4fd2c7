"""Commands, queries, handlers and buses for Nitro."""

from importlib.metadata import version as _version

__version__: str = _version("nitro-cqrs")

__all__ = ["__version__"]
