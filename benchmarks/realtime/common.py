"""What the servers and the load generator agree on: paths, the page, the keepalive."""

from __future__ import annotations

import os

#: Every client opens the stream of this one entity id.
ENTITY_ID = "main"
#: Seconds between keepalive comments on an idle stream (both servers).
KEEPALIVE_ENV = "BENCH_KEEPALIVE"
DEFAULT_KEEPALIVE = 10.0

#: ``GET /page``: the ordinary request timed while the streams are open.
PAGE_HTML = (
    "<!doctype html><html><head><title>Counter</title></head><body>"
    '<main id="counter"><h1>Counter</h1><p>A small page served while 10,000 live '
    "streams are open.</p><button>+1</button></main></body></html>"
)


def keepalive_seconds() -> float:
    return float(os.environ.get(KEEPALIVE_ENV, DEFAULT_KEEPALIVE))
