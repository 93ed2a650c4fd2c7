"""A blog post whose comment thread stays live in every tab, on FastHTML, FastAPI or Flask.

    uv run --all-packages examples/blog/app.py [--framework fastapi|flask] [--port 8000]
        [--transport ws]

Open the post in two tabs and comment in one: the comment appears in both, at its place
in the thread. So does a comment added in the admin (/admin/), by a script
(``python examples/blog/comment.py "hello"``) or by another instance of the app, when
``NITRO_REDIS_URL`` names a Redis that the processes share. No JavaScript is written:
the thread is a ``LiveList`` (blog.py). With ``--transport ws`` the page keeps the
thread and sends its actions over one WebSocket instead of SSE (docs/websockets.md).
"""

import argparse
import os
import secrets

from blog import Comment, Post, thread, thread_ws

from nitro.actions.ws_page import ws_action, ws_list_element, ws_script
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password
from rusty_tags import H1, Button, Div, Form, Input, P, Page

#: "sse" (one stream per list, one request per action) or "ws" (one socket per page).
TRANSPORT = "sse"


# --8<-- [start:broadcaster]
def broadcaster():
    """Redis when the app runs as several processes, else this process only."""
    if url := os.environ.get("NITRO_REDIS_URL"):
        from nitro.redis import RedisBroadcaster

        return RedisBroadcaster(url)
    return None
    # --8<-- [end:broadcaster]


# --8<-- [start:admin]
def admin_site() -> Admin:
    password = os.environ.get("NITRO_ADMIN_PASSWORD") or secrets.token_urlsafe(9)
    print(f"Admin: /admin/  user: admin  password: {password}", flush=True)
    users = [AdminUser("admin", hash_password(password), is_superuser=True)]
    admin = Admin(auth=PasswordAuth(users), secret_key=secrets.token_urlsafe(32))
    admin.register(Post)
    admin.register(Comment, list_display=["author", "text", "post_id", "created"])
    return admin
    # --8<-- [end:admin]


# --8<-- [start:page]
def post_page(post_id: str = "welcome") -> str:
    post = Post.get(post_id) or Post(id=post_id, title="Welcome", body="Say hello below.")
    post.save()
    on_ws = TRANSPORT == "ws"
    form = Form(
        Input(data_bind="author", placeholder="Your name", name="author"),
        Input(data_bind="text", placeholder="Your comment", name="text"),
        Button("comment", type="submit"),
        data_on_submit=ws_action(Post.comment.of(post)) if on_ws else Post.comment.of(post)(),
    )
    # the comments now, then every change
    comments = ws_list_element(thread_ws, post=post.id) if on_ws else thread.element(post=post.id)
    return str(
        Page(
            H1(post.title),
            P(post.body),
            comments,
            Div(form, P(data_text="$error", cls="error"), data_signals=_FORM),
            title=post.title,
            hdrs=[ws_script()] if on_ws else [],
        )
    )


_FORM = {"author": "", "text": "", "error": ""}
# --8<-- [end:page]


def fastapi_app():
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from nitro.adapters.fastapi import configure_app, mount

    app = FastAPI(title="Nitro blog")
    configure_app(app, broadcaster=broadcaster(), websockets=TRANSPORT == "ws")
    mount(app, admin_site())
    app.get("/", response_class=HTMLResponse)(lambda: post_page())
    app.get("/posts/{post_id}", response_class=HTMLResponse)(post_page)
    return app


def flask_app():
    from flask import Flask

    from nitro.adapters.flask import configure_app, mount

    app = Flask(__name__)
    configure_app(app, broadcaster=broadcaster(), websockets=TRANSPORT == "ws")
    mount(app, admin_site())
    app.get("/")(lambda: post_page())
    app.get("/posts/<post_id>")(post_page)
    return app


# --8<-- [start:fasthtml]
def fasthtml_app():
    from fasthtml.common import fast_app
    from starlette.responses import HTMLResponse

    from nitro.adapters.fasthtml import configure_app, mount

    app, _ = fast_app()
    configure_app(app, broadcaster=broadcaster(), websockets=TRANSPORT == "ws")
    mount(app, admin_site())
    app.route("/")(lambda request: HTMLResponse(post_page()))
    app.route("/posts/{post_id}")(
        lambda request: HTMLResponse(post_page(request.path_params["post_id"]))
    )
    return app
    # --8<-- [end:fasthtml]


# --8<-- [start:main]
if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the Nitro blog.")
    parser.add_argument("--framework", choices=["fasthtml", "fastapi", "flask"], default="fasthtml")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--transport", choices=["sse", "ws"], default="sse")
    args = parser.parse_args()
    TRANSPORT = args.transport
    app = {"fastapi": fastapi_app, "flask": flask_app, "fasthtml": fasthtml_app}[args.framework]()
    print(f"http://{args.host}:{args.port}/ ({args.framework})", flush=True)
    if args.framework == "flask":
        app.run(host=args.host, port=args.port, threaded=True)  # a thread per open stream
    else:
        import uvicorn

        uvicorn.run(app, host=args.host, port=args.port)
        # --8<-- [end:main]
