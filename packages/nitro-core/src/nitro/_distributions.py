"""Which Nitro distributions are installed, for ``nitro info`` and bug reports."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

NITRO_DISTRIBUTIONS = (
    "nitro-core",
    "nitro-sql",
    "nitro-redis",
    "nitro-fastapi",
    "nitro-flask",
    "nitro-fasthtml",
    "nitro-admin",
    "nitro-cqrs",
    "rusty-tags",
)


def installed_distributions() -> list[tuple[str, str]]:
    """Return ``(name, version)`` for each Nitro distribution that is installed."""
    found = []
    for name in NITRO_DISTRIBUTIONS:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            continue
    return found
