"""The smallest Nitro page: HTML built with rusty_tags, served by FastAPI.

Run it from the workspace root:

    uv run --all-packages examples/hello/app.py          # http://127.0.0.1:8000

``--port`` / ``--host`` change where it listens. The todo example (FastAPI +
SQLite) takes over as the main demo once actions and nitro-sql land.
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from rusty_tags import H1, Li, P, Page, Ul

app = FastAPI(title="Nitro hello")

DISTRIBUTIONS = ("nitro-core", "nitro-sql", "nitro-redis", "nitro-fastapi", "nitro-flask",
                 "nitro-fasthtml", "nitro-admin", "nitro-cqrs", "rusty-tags")  # fmt: skip


def installed_distributions() -> list[tuple[str, str]]:
    found = []
    for name in DISTRIBUTIONS:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            continue
    return found


@app.get("/", response_class=HTMLResponse)
def index() -> str:
    packages = [Li(f"{name} {dist_version}") for name, dist_version in installed_distributions()]
    page = Page(
        H1("Hello from Nitro"),
        P("This page was built with rusty_tags ", version("rusty-tags"), " and served by FastAPI."),
        Ul(packages, id="packages"),
        title="Nitro hello",
        datastar=False,
    )
    return str(page)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Nitro hello page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
