"""Per-user preferences kept in the browser: DatastarRepo with localStorage.

    uv run --all-packages examples/prefs/app.py        # http://127.0.0.1:8000
    http://127.0.0.1:8000/?storage=session              # sessionStorage: per tab

The server stores nothing: the browser keeps the Prefs record in Web Storage, sends it
with every action and gets the new one back. Reload the page, open a second tab: the
theme and the note follow.
"""

import argparse
from typing import Literal

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from nitro import Entity, action
from nitro.adapters.fastapi import configure_app
from nitro.persistence.datastar_repo import DatastarRepo, DatastarStore
from nitro.signals import data_signals
from rusty_tags import H1, Button, Div, Input, P, Page, Span


class Prefs(Entity):
    _persistence_backend_class = DatastarRepo

    theme: str = "light"
    note: str = ""

    @action(method="POST")
    def set_theme(self, theme: str) -> None:
        self.theme = theme

    @action(method="POST")
    def set_note(self, note: str) -> None:
        self.note = note


app = FastAPI(title="Nitro preferences")
configure_app(app, middleware=[DatastarStore()])


@app.get("/", response_class=HTMLResponse)
def index(storage: str = "local") -> str:
    where: Literal["local", "session"] = "session" if storage == "session" else "local"
    prefs = Prefs(id="me")  # the defaults; the browser's stored record replaces them
    return str(
        Page(
            H1("Preferences"),
            Div(
                # the glue: Web Storage <-> the nitro_store signal (and $Prefs)
                Div(id="store", **DatastarRepo.attributes(Prefs, storage=where, records=[prefs])),
                P("Theme: ", Span(prefs.theme, id="theme", data_text=Prefs.theme_signal)),
                Button("dark", id="dark", data_on_click=Prefs.set_theme("dark")),
                Button("light", id="light", data_on_click=Prefs.set_theme("light")),
                P("Note: ", Span(prefs.note, id="note", data_text=Prefs.note_signal)),
                Input(id="note-input", data_bind="note", placeholder="a note"),
                Button("save note", id="save-note", data_on_click=Prefs.set_note()),
                data_signals=data_signals(prefs, note=""),
            ),
            title="Nitro preferences",
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the preferences example.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)
