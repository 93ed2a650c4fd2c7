"""One login for an app's actions and its admin: docs/auth.md, "Password login and sessions"."""

import os
import sys

import uvicorn
from fastapi import FastAPI

from nitro import Entity
from nitro.actions import action
from nitro.adapters.fastapi import configure_app, mount
from nitro.admin import Admin
from nitro.auth import PasswordAuth, PasswordUser, SessionAuth, current_user, hash_password
from nitro.auth.csrf import same_origin
from nitro.sessions import MemorySessionStore
from nitro.web import WebRequest, WebResponse, WebRoute, redirect


class Note(Entity):
    text: str = ""
    author: str = ""

    @action(permission="note.add")  # the admin's grant for adding notes gates this too
    @classmethod
    def write(cls, text: str) -> str:
        note = cls(text=text, author=current_user().username)
        note.save()
        return note.id

    @action(method="GET")
    @classmethod
    def whoami(cls) -> str:
        return current_user().username or "nobody"


auth = SessionAuth(
    secret_key=os.environ["NITRO_SECRET_KEY"],  # 32+ characters; signs the cookie
    store=MemorySessionStore(),  # one process; see "Where sessions live" below
    users=PasswordAuth(
        [
            PasswordUser("ann", hash_password(os.environ["ANN_PASSWORD"]), is_superuser=True),
            PasswordUser("ed", hash_password(os.environ["ED_PASSWORD"]), permissions=["note.*"]),
        ]
    ),
)

admin = Admin(auth=auth)  # its login form (/admin/login) logs in to the app too
admin.register(Note)


class Logout:
    """The app's own logout button: ends the session for the admin as well."""

    def web_routes(self) -> list[WebRoute]:
        return [WebRoute(("POST",), "/logout", self.logout, "logout")]

    def logout(self, request: WebRequest) -> WebResponse:
        if not same_origin(request):  # a form posted from another site
            return WebResponse(403, {}, b"")
        response = redirect("/admin/login")
        response.set_cookies.append(auth.logout(request))
        return response


app = FastAPI()
configure_app(app, auth=auth)  # actions: current_user() is who logged in
mount(app, admin)
mount(app, Logout())

if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 8000
    uvicorn.run(app, host="127.0.0.1", port=port)
