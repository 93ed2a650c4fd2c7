"""The page shell every admin page shares: top bar, sidebar (entities, and the jobs
dashboard when there is one), flash message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nitro.admin.csrf import FIELD_NAME
from nitro.admin.templates.style import CSS
from rusty_tags import H1, H2, A, Button, Div, Form, Header, Input, Main, Nav, Page, Span, Style

if TYPE_CHECKING:
    from nitro.admin.requests import AdminRequest

__all__ = ["csrf_input", "layout", "page_head"]


def csrf_input(request: AdminRequest) -> Any:
    """The hidden form input carrying the request's CSRF token; every admin form that posts has
    one."""
    return Input(type="hidden", name=FIELD_NAME, value=request.csrf_token)


def page_head(title: str, *actions: Any, crumbs: tuple[tuple[str, str], ...] = ()) -> Any:
    """A page's title line: the breadcrumbs (``(label, href)`` pairs), the title and its action
    buttons."""
    trail = [Span(A(label, href=href), " / ") for label, href in crumbs]
    return Div(
        Div(*trail, cls="crumbs") if trail else None,
        Div(H1(title), *actions, cls="page-head"),
    )


def _sidebar(request: AdminRequest, active: str | None) -> Any:
    links = [
        A(
            entity_admin.label_plural_value,
            href=request.url(entity_admin.slug_value),
            cls="active" if entity_admin.slug_value == active else None,
        )
        for entity_admin in request.site.visible_admins(request)
    ]
    jobs_admin = request.site.jobs_admin
    jobs: tuple[Any, ...] = ()
    if jobs_admin is not None and jobs_admin.has_view_permission(request):
        link = A(
            jobs_admin.label,
            href=request.url(jobs_admin.slug),
            cls="active" if jobs_admin.slug == active else None,
        )
        jobs = (H2("Operations"), link)
    heading = H2("Entities") if links or not jobs else None
    return Nav(heading, *links, *jobs, cls="sidebar")


def _topbar(request: AdminRequest) -> Any:
    user = request.user
    logout = None
    if user is not None and request.site.auth is not None:
        logout = Form(
            csrf_input(request),
            Button("Log out", type="submit"),
            method="post",
            action=request.url("logout"),
        )
    return Header(
        A(request.site.title, href=request.url(""), cls="brand"),
        Span(cls="spacer"),
        Span(user.username, cls="user") if user is not None else None,
        logout,
        cls="topbar",
    )


def layout(
    request: AdminRequest,
    title: str,
    *content: Any,
    active: str | None = None,
    bare: bool = False,
) -> str:
    """A whole HTML page. *bare* pages (login) have no top bar or sidebar."""
    flash = request.pop_flash()
    flash_box = Div(flash[1], cls=f"flash {flash[0]}", role="status") if flash else None
    head = (Style(CSS),)
    if bare:
        body: Any = Main(flash_box, *content)
    else:
        body = Div(
            _topbar(request),
            Div(_sidebar(request, active), Main(flash_box, *content), cls="shell"),
        )
    page = Page(
        body,
        title=f"{title} · {request.site.title}",
        hdrs=head,
        datastar_src=request.site.datastar_src,
    )
    return str(page)
