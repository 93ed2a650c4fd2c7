"""``AdminRequest``: one HTTP request as the admin's views see it.

It bundles what every view needs: the raw request, the logged-in user, the session
(for the CSRF token), the form with repeated keys kept (``ids=1&ids=2``) and URL
building under the site's prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode

from nitro.actions import ActionRequest
from nitro.auth import User
from nitro.auth.cookies import Session

if TYPE_CHECKING:
    from nitro.admin.options import EntityAdmin
    from nitro.admin.site import Admin

__all__ = ["AdminRequest"]


class AdminRequest:
    """A request as the admin's views see it: the site, the framework-free request, the login
    session and the user, with URL and flash helpers."""

    def __init__(
        self, site: Admin, raw: ActionRequest, session: Session, user: User | None
    ) -> None:
        self.site = site
        self.raw = raw
        self.session = session
        self.user = user
        #: Raw ``Set-Cookie`` values to add to the response (flash messages...).
        self.cookies_out: list[str] = []

    @property
    def method(self) -> str:
        return self.raw.method

    @property
    def query(self) -> Mapping[str, str]:
        return self.raw.query

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The submitted form, each key with every value in order."""
        if self.raw.form is not None:
            return {
                key: list(value) if isinstance(value, list | tuple) else [str(value)]
                for key, value in self.raw.form.items()
            }
        content_type = self.raw.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return {}
        return parse_qs(self.raw.body.decode("utf-8", "replace"), keep_blank_values=True)

    def form_value(self, key: str, default: str = "") -> str:
        values = self.form.get(key)
        return values[-1] if values else default

    @property
    def csrf_token(self) -> str:
        return self.site.csrf.token(self.session.nonce)

    def has_perm(self, permission: str, entity_admin: EntityAdmin) -> bool:
        if self.user is None:
            return False
        return self.site.has_permission(self.user, permission, entity_admin)

    def url(self, *parts: str, **params: Any) -> str:
        """``/admin/product/42/edit?x=1`` from ``("product", "42", "edit")``."""
        path = self.site.prefix + "/" + "/".join(quote(part, safe="") for part in parts)
        query = {key: value for key, value in params.items() if value not in (None, "")}
        return path + ("?" + urlencode(query) if query else "")

    # -- flash messages: one signed cookie read (and cleared) by the next page ------

    _FLASH_COOKIE = "nitro_admin_flash"
    #: Longest flash cookie value (Django's cookie storage keeps messages under 2 KB
    #: too); a longer message is cut, with an ellipsis.
    MAX_FLASH_COOKIE = 2048

    def flash(self, message: str, level: str = "success") -> None:
        message = message[:1000]
        value = self.site.flash_signer.sign([level, message], 120)
        while len(value) > self.MAX_FLASH_COOKIE and message:
            message = message[: len(message) * 3 // 4 - 1] + "…"
            value = self.site.flash_signer.sign([level, message], 120)
        self.cookies_out.append(self._flash_cookie(value, 120))

    def pop_flash(self) -> tuple[str, str] | None:
        raw = self.raw.cookies.get(self._FLASH_COOKIE)
        if not raw:
            return None
        self.cookies_out.append(self._flash_cookie("", 0))
        if len(raw) > self.MAX_FLASH_COOKIE:
            return None
        try:
            level, message = self.site.flash_signer.unsign(raw)
        except Exception:  # BadSignature or a malformed value: show nothing
            return None
        if level not in ("success", "error") or not isinstance(message, str):
            return None
        return level, message

    def _flash_cookie(self, value: str, max_age: int) -> str:
        secure = "; Secure" if self.site.sessions.is_secure(self.raw) else ""
        return (
            f"{self._FLASH_COOKIE}={value}; Path={self.site.prefix or '/'}; Max-Age={max_age}; "
            f"HttpOnly; SameSite=Lax{secure}"
        )
