"""Import a distribution's top-level module by distribution name (release smoke test).

Usage: ``python scripts/smoke_import.py nitro-sql``
"""

from __future__ import annotations

import importlib
import sys

IMPORTS = {
    "nitro-core": "nitro",
    "nitro-sql": "nitro.sql",
    "nitro-redis": "nitro.redis",
    "nitro-fastapi": "nitro.adapters.fastapi",
    "nitro-flask": "nitro.adapters.flask",
    "nitro-fasthtml": "nitro.adapters.fasthtml",
    "nitro-admin": "nitro.admin",
    "nitro-cqrs": "nitro.cqrs",
    "rusty-tags": "rusty_tags",
}


def main(argv: list[str]) -> int:
    (distribution,) = argv
    module = importlib.import_module(IMPORTS[distribution])
    print(f"{distribution}: imported {module.__name__} {getattr(module, '__version__', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
