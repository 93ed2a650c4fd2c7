"""The Flask twin of ``live_fault_app`` (the same routes), for the live-stream fault
tests on WSGI servers: ``flask run`` (werkzeug's threaded server) and gunicorn's
threaded workers, each in a subprocess."""

from __future__ import annotations

from flask import Flask
from live_fault_entities import TICKERS, open_streams, seed

from nitro.adapters.flask import configure_app

__all__ = ["TICKERS", "app"]

app = Flask("live_fault_flask_app")
nitro = configure_app(app, websockets=True)
app.add_url_rule("/streams", "streams", lambda: open_streams(nitro))
app.add_url_rule("/seed", "seed", seed, methods=["POST"])
