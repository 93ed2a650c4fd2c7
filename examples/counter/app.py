"""A live counter: FastAPI, entities in memory, Datastar in the browser.

    uv run --all-packages examples/counter/app.py        # http://127.0.0.1:8000

Open it in two tabs: a click in one updates both.
"""

import argparse

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from nitro import Entity, action
from nitro.actions import live
from nitro.adapters.fastapi import configure_app
from rusty_tags import H1, Button, Div, Page, Span


# --8<-- [start:entity]
class Counter(Entity):
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount

    @action(method="POST")
    def reset(self) -> None:
        self.count = 0
        # --8<-- [end:entity]


# --8<-- [start:setup]
app = FastAPI(title="Nitro counter")
configure_app(app)
# --8<-- [end:setup]


# --8<-- [start:page]
@app.get("/", response_class=HTMLResponse)
def index() -> str:
    counter = Counter.get("main") or Counter(id="main")
    counter.save()
    return str(
        Page(
            H1("Counter"),
            Div(
                Span(counter.count, id="count", data_text=Counter.count_signal),
                Button("-1", id="decrement", data_on_click=Counter.increment(-1)),
                Button("+1", id="increment", data_on_click=Counter.increment(1)),
                Button("reset", id="reset", data_on_click=Counter.reset()),
                data_signals=counter.signals,
                data_init=live(counter),
            ),
            title="Nitro counter",
        )
    )
    # --8<-- [end:page]


# --8<-- [start:main]
if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the Nitro counter.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)
    # --8<-- [end:main]
