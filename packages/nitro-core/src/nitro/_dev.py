"""``nitro dev``: serve an app for development, reloading it when a file changes.

It finds out what the app is by importing it: an ASGI app (FastAPI, FastHTML,
Starlette) is served by ``uvicorn --reload``, a WSGI app (Flask) by ``flask run
--reload``; either watches the current directory. The server replaces this process,
and nitro-core imports neither (they come with the framework).
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from typing import Any

from nitro._route_table import load_app, route_table

__all__ = ["development_user", "free_port", "serve_for_development"]


def free_port(host: str, preferred: int = 8000) -> int:
    """*preferred* if nothing listens there, else a port the system picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError(f"no free port on {host}")


def _is_wsgi(app: Any) -> bool:
    return hasattr(app, "wsgi_app") or hasattr(app, "url_map")


def development_user() -> tuple[str, str]:
    """The admin user of a project made by ``nitro init --admin`` (its ``auth.py``
    reads these variables): the environment's, else ``admin`` with a new password for
    this run, set before the app is imported so the server's processes share it."""
    username = os.environ.setdefault("NITRO_ADMIN_USER", "admin")
    password = os.environ.get("NITRO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    os.environ["NITRO_ADMIN_PASSWORD"] = password
    return username, password


def serve_for_development(spec: str, host: str, port: int | None) -> None:
    username, password = development_user()
    app = load_app(spec)
    port = port if port is not None else free_port(host)
    base = f"http://{host}:{port}"
    print(f"Serving {spec} on {base} (reloads when a file changes; Ctrl-C stops)")
    paths = {row[1] for row in route_table(app)[1:]}
    credentials = f"user: {username}  password: {password}"
    admin = sorted({path.split("/")[1] for path in paths if path.startswith("/admin")})
    if admin:
        print(f"Admin: {base}/{admin[0]}/  {credentials}")
    if "/login" in paths:  # nitro init --auth: PasswordLogin
        print(f"Login: {base}/login  {credentials}")
    sys.stdout.flush()
    if _is_wsgi(app):  # Flask's own development server, with its reloader
        command = ["-m", "flask", "--app", spec, "run", "--reload", "--no-debugger"]
        command += ["--host", host, "--port", str(port)]
    else:
        command = ["-m", "uvicorn", spec, "--reload", "--reload-dir", "."]
        command += ["--host", host, "--port", str(port)]
    # The server takes this process over (Ctrl-C and SIGTERM reach it directly).
    os.execv(sys.executable, [sys.executable, *command])
