import uvicorn
from fastapi import FastAPI, responses

from nitro.actions import Patch, action
from nitro.adapters.fastapi import configure_app
from nitro.sql import SQLEntity
from rusty_tags import H1, Button, Form, Input, Li, P, Page, Ul


# --8<-- [start:model]
class Todo(SQLEntity, table=True):  # a table in ./nitro.db (NITRO_DATABASE_URL to change)
    title: str
    done: bool = False
    # --8<-- [end:model]

    # --8<-- [start:render]
    def __html__(self) -> str:  # how a Todo renders: an <li> with its own buttons
        done = Input(type="checkbox", checked=self.done, data_on_change=Todo.toggle.of(self)())
        delete = Button("delete", data_on_click=Todo.remove.of(self)())
        return str(Li(done, self.title, delete, id=f"todo-{self.id}"))
        # --8<-- [end:render]

    # --8<-- [start:add]
    @action(method="POST")
    @classmethod
    def add(cls, title: str = ""):  # a generator: each yield is one event for the page
        if title := title.strip():
            cls(title=title).save()
        yield Ul(*cls.all(), id="todos")
        yield {"title": "", "error": "" if title else "Give the todo a title"}
        # --8<-- [end:add]

    # --8<-- [start:row]
    @action(method="POST")
    def toggle(self):
        self.done = not self.done
        return self  # sent as HTML: Datastar morphs the <li> with the same id

    @action(method="DELETE")
    def remove(self):
        self.delete()
        return Patch.remove(f"#todo-{self.id}")  # takes just this row off the page
        # --8<-- [end:row]


# --8<-- [start:page]
configure_app(app := FastAPI(title="Nitro todos"))


@app.get("/", response_class=responses.HTMLResponse)
def index() -> str:
    form = Form(Input(data_bind="title"), Button("add"), data_on_submit=Todo.add())
    todos = Ul(*Todo.all(), id="todos")
    return str(Page(H1("Todos"), form, P(data_text="$error"), todos, title="Nitro todos"))
    # --8<-- [end:page]


# --8<-- [start:main]
if __name__ == "__main__":  # uv run --all-packages examples/todo/app.py [--host H] [--port P]
    uvicorn.main(default_map={"app": "__main__:app"})  # uvicorn's command line, serving `app`
    # --8<-- [end:main]
