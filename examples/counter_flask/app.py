"""The live counter on Flask: the same entity and page as examples/counter.

    uv run --all-packages examples/counter_flask/app.py  # http://127.0.0.1:8000

Open it in two tabs: a click in one updates both. Each open page holds a live stream,
and so a worker thread: serve Flask threaded (the default of ``flask run``).
"""

import argparse

from flask import Flask

from nitro import Entity, action
from nitro.actions import live
from nitro.adapters.flask import configure_app
from rusty_tags import H1, Button, Div, Page, Span


class Counter(Entity):
    count: int = 0

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount

    @action(method="POST")
    def reset(self) -> None:
        self.count = 0


app = Flask(__name__)
configure_app(app, openapi_url="/openapi.json")


@app.get("/")
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
            title="Nitro counter (Flask)",
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the Nitro counter on Flask.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    app.run(host=args.host, port=args.port, threaded=True)
