"""Redis for Nitro: repository, cross-instance broadcaster and cache."""

from importlib.metadata import version as _version

__version__: str = _version("nitro-redis")

__all__ = ["__version__"]
