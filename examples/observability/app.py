"""Prometheus metrics for a small order API: FastAPI, orders stored in SQLite.

    NITRO_OBSERVABILITY=metrics uv run --all-packages examples/observability/app.py
    curl -X POST http://127.0.0.1:8000/order/open          # {"result": "<id>"}
    curl --json '{"qty": 2}' http://127.0.0.1:8000/order/<id>/add_item
    curl -X POST http://127.0.0.1:8000/order/<id>/pay
    curl http://127.0.0.1:8000/metrics                     # nitro_requests_total{...} ...

``NITRO_OBSERVABILITY`` (``metrics``, ``logs,metrics,traces``, ...) turns observability
on with no code; when it is unset the app turns the metrics on itself. With several
workers, give them a shared empty directory and every scrape sees all of them::

    export PROMETHEUS_MULTIPROC_DIR=$(mktemp -d)
    uv run --all-packages examples/observability/app.py --workers 2

Orders go to ``nitro.db`` in the current directory (``NITRO_DATABASE_URL`` to change).
"""

import os
from typing import Annotated

import uvicorn
from fastapi import FastAPI
from pydantic import Field

import nitro.observability
from nitro.actions import Conflict, action
from nitro.adapters.fastapi import configure_app
from nitro.sql import SQLEntity


class Order(SQLEntity, table=True):
    items: int = 0
    paid: bool = False

    @action(method="POST")
    @classmethod
    def open(cls) -> str:
        order = cls()
        order.save()
        return order.id

    @action(method="POST")
    def add_item(self, qty: Annotated[int, Field(gt=0, le=100)] = 1) -> int:  # else 422
        if self.paid:
            raise Conflict("The order is paid: no more items")  # 409
        self.items += qty
        return self.items

    @action(method="POST")
    def pay(self) -> None:
        if self.paid or not self.items:
            raise Conflict("Nothing to pay")  # 409
        self.paid = True


if "NITRO_OBSERVABILITY" not in os.environ:
    nitro.observability.enable(metrics=True)
configure_app(app := FastAPI(title="Nitro orders, observed"))  # serves /metrics too


if __name__ == "__main__":  # uvicorn's command line (--host, --port, --workers), serving `app`
    uvicorn.main(default_map={"app": "__main__:app"})
