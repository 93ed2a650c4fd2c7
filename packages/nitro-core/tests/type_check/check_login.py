"""Password logins in user code: the session stores, the requests adapters hand the
dispatcher and a user store of the app's own all fit SessionAuth's protocols."""

from __future__ import annotations

from nitro.actions import ActionRequest
from nitro.auth import (
    Authenticator,
    PasswordAuth,
    PasswordUser,
    SessionAuth,
    User,
    UserStore,
    hash_password,
)
from nitro.auth.cookies import Session
from nitro.persistence.memory import MemoryRepo
from nitro.sessions import MemorySessionStore, RepositorySessionStore, SessionRecord


class AccountUsers:
    """Users from the app's own table."""

    def authenticate(self, username: str, password: str) -> User | None:
        return None

    def load_user(self, username: str) -> User | None:
        return User(id=username)


SECRET = "type-check-secret-key-0123456789abcdef"
users: UserStore = PasswordAuth([PasswordUser("ann", hash_password("pw"), permissions=["*"])])
in_memory = SessionAuth(secret_key=SECRET, store=MemorySessionStore(), users=users)
shared = SessionAuth(
    secret_key=SECRET,
    store=RepositorySessionStore(MemoryRepo(SessionRecord)),
    users=AccountUsers(),
    cookie_path="/app",
    secure=True,
)
authenticator: Authenticator = in_memory


def login(request: ActionRequest) -> list[str]:
    user = in_memory.check_password("ann", "pw")
    cookies: list[str] = []
    if user is not None:
        cookies.append(in_memory.login(request, user))
    session: Session = in_memory.session(request)
    token: str = in_memory.csrf_token(session)
    current: User | None = in_memory.authenticate(request)
    if current is not None:
        in_memory.change_password(current.username, token, keep=session)
    cookies.append(in_memory.logout(request))
    return cookies
