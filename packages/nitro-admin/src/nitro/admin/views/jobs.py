"""The background-jobs dashboard: counts per state, queues, recent jobs, one job's
details, and the dead-letter queue with Retry and Discard.

Everything shown of a job (its name, arguments, error, traceback) came from a queue
and is text: rusty_tags escapes it. Retry and Discard are POST forms with the CSRF
token (checked by the site before these views run) and need the change permission;
the other views need the view permission.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from nitro.actions import ActionResponse
from nitro.admin.jobs import STATES, JobsAdmin, JobsRecord
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import csrf_input, layout, page_head
from nitro.admin.views.errors import bad_request, forbidden, not_found
from nitro.web import html, redirect
from rusty_tags import (
    H2,
    H3,
    A,
    Button,
    Dd,
    Details,
    Div,
    Dl,
    Dt,
    Form,
    Input,
    P,
    Pre,
    Section,
    Span,
    Strong,
    Summary,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Tr,
)

__all__ = ["dashboard_view", "detail_view", "discard_view", "retry_view"]

#: Characters of an error shown in a table cell (the whole text is on the job's page).
ERROR_PREVIEW = 160


def dashboard_view(request: AdminRequest, jobs_admin: JobsAdmin) -> ActionResponse:
    """The jobs dashboard: counts per state and the recent or dead jobs of the engine's store."""
    if not jobs_admin.has_view_permission(request):
        return forbidden(request)
    state = request.query.get("state") or None
    if state is not None and state not in STATES:
        return bad_request(request, f"Unknown job state (state): use one of {', '.join(STATES)}.")
    store = jobs_admin.store
    counts = store.counts()
    sample = store.recent(max(jobs_admin.queue_sample, jobs_admin.recent_limit))
    recent = (
        sample[: jobs_admin.recent_limit]
        if state is None
        else store.recent(jobs_admin.recent_limit, state)
    )
    dead = store.dead_letters(jobs_admin.dead_limit)
    can_change = jobs_admin.has_change_permission(request)
    slug = jobs_admin.slug
    content = Div(
        page_head(jobs_admin.label),
        _counts(request, jobs_admin, counts, state),
        _queues(sample),
        Section(
            H2("Recent jobs" if state is None else f"Recent jobs: {state}"),
            _state_filter(request, jobs_admin, state),
            _jobs_table(request, jobs_admin, recent),
            cls="card jobs-section",
            id="recent-jobs",
        ),
        Section(
            H2(f"Dead-letter queue ({counts.get('dead', len(dead))})"),
            *(
                [_dead_letter(request, jobs_admin, record, can_change, state) for record in dead]
                or [P("No dead jobs.", cls="empty")]
            ),
            cls="jobs-section",
            id="dead-letters",
        ),
    )
    return html(layout(request, jobs_admin.label, content, active=slug))


def detail_view(request: AdminRequest, jobs_admin: JobsAdmin, id: str) -> ActionResponse:
    """One job: its envelope, arguments and traceback, with retry and discard buttons for a dead
    one (with the change permission)."""
    if not jobs_admin.has_view_permission(request):
        return forbidden(request)
    record = jobs_admin.store.get(id)
    if record is None:
        return not_found(request, f"Job {id!r}")
    envelope = record.envelope
    rows: list[tuple[str, Any]] = [
        ("Job", envelope.job),
        ("Id", record.id),
        ("Queue", envelope.queue),
        ("State", _badge(record.state)),
        ("Attempt", envelope.attempt),
        ("Enqueued", _time(envelope.enqueued_at)),
        ("Started", _time(record.started_at)),
        ("Finished", _time(record.finished_at)),
        ("Duration", _duration(record.duration)),
        ("Reason", record.reason or "—"),
        ("Error", record.error or "—"),
    ]
    can_change = record.state == "dead" and jobs_admin.has_change_permission(request)
    body = Div(
        Dl(*[part for label, value in rows for part in (Dt(label), Dd(value))], cls="job-facts"),
        H3("Arguments"),
        Pre(_arguments(envelope.args)),
        *([H3("Traceback"), Pre(record.traceback)] if record.traceback else []),
        _buttons(request, jobs_admin, record, None) if can_change else None,
        cls="card confirm",
    )
    crumbs = ((jobs_admin.label, request.url(jobs_admin.slug)),)
    content = Div(page_head(f"Job {envelope.job}", crumbs=crumbs), body)
    return html(layout(request, f"Job {envelope.job}", content, active=jobs_admin.slug))


def retry_view(request: AdminRequest, jobs_admin: JobsAdmin, id: str) -> ActionResponse:
    """Send a dead job again, from its first try: the engine's ``retry`` (or
    ``store.revive`` then ``submit``)."""
    if not jobs_admin.has_change_permission(request):
        return forbidden(request)
    store = jobs_admin.store
    record = store.get(id)
    if record is None:
        return not_found(request, f"Job {id!r}")
    back = _back(request, jobs_admin)
    name = record.envelope.job
    retry = getattr(jobs_admin.engine, "retry", None)  # keeps it dead if the send fails
    if record.state != "dead":
        envelope = None
    elif retry is not None:
        envelope = retry(id)
    else:
        envelope = store.revive(id)
        if envelope is not None:
            jobs_admin.engine.submit(envelope)
    if envelope is None:  # not dead, or retried by someone else in between
        return _not_dead(request, store.get(id) or record, back)
    request.flash(f"The job “{name}” was sent to the queue “{envelope.queue}” again.")
    return redirect(back)


def discard_view(request: AdminRequest, jobs_admin: JobsAdmin, id: str) -> ActionResponse:
    """Forget a dead job."""
    if not jobs_admin.has_change_permission(request):
        return forbidden(request)
    store = jobs_admin.store
    record = store.get(id)
    if record is None:
        return not_found(request, f"Job {id!r}")
    back = _back(request, jobs_admin)
    if record.state != "dead" or not store.discard(id):
        return _not_dead(request, store.get(id) or record, back)
    request.flash(f"The job “{record.envelope.job}” was discarded.")
    return redirect(back)


# -- parts ---------------------------------------------------------------------------


def _not_dead(request: AdminRequest, record: JobsRecord, back: str) -> ActionResponse:
    request.flash(
        f"The job “{record.envelope.job}” is {record.state}, not in the dead-letter queue: "
        f"nothing was done.",
        "error",
    )
    return redirect(back)


def _back(request: AdminRequest, jobs_admin: JobsAdmin) -> str:
    """The dashboard, with the state filter the form was posted from (never a URL
    taken from the form)."""
    state = request.form_value("state")
    return request.url(jobs_admin.slug, state=state if state in STATES else None)


def _counts(request: AdminRequest, jobs_admin: JobsAdmin, counts: Any, active: str | None) -> Any:
    states = list(STATES) + [s for s in counts if s not in STATES]
    tiles = [
        A(
            Strong(f"{int(counts.get(state, 0)):,}"),
            Span(state),
            href=request.url(jobs_admin.slug, state=state),
            cls=f"card job-count state-{state}" + (" active" if state == active else ""),
        )
        for state in states
    ]
    return Div(*tiles, cls="job-counts", id="job-counts")


def _queues(sample: Sequence[JobsRecord]) -> Any:
    """Jobs per queue and state, among the most recently updated ones (the store
    counts states only across queues)."""
    per_queue: dict[str, dict[str, int]] = {}
    for record in sample:
        row = per_queue.setdefault(record.envelope.queue, dict.fromkeys(STATES, 0))
        row[record.state] = row.get(record.state, 0) + 1
    if not per_queue:
        return None
    head = Tr(Th("Queue"), *[Th(state, cls="num") for state in STATES], Th("Total", cls="num"))
    rows = [
        Tr(
            Td(queue),
            *[Td(f"{row.get(state, 0):,}", cls="num") for state in STATES],
            Td(f"{sum(row.values()):,}", cls="num"),
        )
        for queue, row in sorted(per_queue.items())
    ]
    return Section(
        H2("Queues"),
        P(f"Among the {len(sample):,} most recently updated jobs.", cls="hint"),
        Div(Table(Thead(head), Tbody(*rows)), cls="table-wrap"),
        cls="card jobs-section",
        id="queues",
    )


def _state_filter(request: AdminRequest, jobs_admin: JobsAdmin, active: str | None) -> Any:
    links = [("all", None), *[(state, state) for state in STATES]]
    return Div(
        *[
            A(
                label,
                href=request.url(jobs_admin.slug, state=value),
                cls="badge active" if value == active else "badge",
            )
            for label, value in links
        ],
        cls="state-filter",
    )


def _jobs_table(request: AdminRequest, jobs_admin: JobsAdmin, records: Iterable[JobsRecord]) -> Any:
    head = Tr(
        *[Th(t) for t in ("Job", "Queue", "State", "Attempt", "Enqueued", "Duration", "Error")]
    )
    rows = [
        Tr(
            Td(A(record.envelope.job, href=request.url(jobs_admin.slug, record.id))),
            Td(record.envelope.queue),
            Td(_badge(record.state)),
            Td(str(record.envelope.attempt), cls="num"),
            Td(_time(record.envelope.enqueued_at)),
            Td(_duration(record.duration), cls="num"),
            Td(_preview(record.error), title=record.error or None, cls="error-cell"),
        )
        for record in records
    ]
    if not rows:
        return P("No jobs.", cls="empty")
    return Div(Table(Thead(head), Tbody(*rows)), cls="table-wrap")


def _dead_letter(
    request: AdminRequest,
    jobs_admin: JobsAdmin,
    record: JobsRecord,
    can_change: bool,
    state: str | None,
) -> Any:
    envelope = record.envelope
    return Div(
        H3(A(envelope.job, href=request.url(jobs_admin.slug, record.id))),
        P(
            f"Queue {envelope.queue} · attempt {envelope.attempt} · failed ",
            _time(record.finished_at or record.updated_at),
            cls="hint",
        ),
        Dl(
            Dt("Reason"),
            Dd(record.reason or "—"),
            Dt("Error"),
            Dd(record.error or "—"),
            cls="job-facts",
        ),
        Details(Summary("Traceback"), Pre(record.traceback)) if record.traceback else None,
        Details(Summary("Arguments"), Pre(_arguments(envelope.args))),
        _buttons(request, jobs_admin, record, state) if can_change else None,
        cls="card dead-job",
    )


def _buttons(
    request: AdminRequest, jobs_admin: JobsAdmin, record: JobsRecord, state: str | None
) -> Any:
    def post(label: str, action: str, cls: str) -> Any:
        return Form(
            csrf_input(request),
            Input(type="hidden", name="state", value=state) if state else None,
            Button(label, type="submit", cls=cls),
            method="post",
            action=request.url(jobs_admin.slug, record.id, action),
        )

    return Div(
        post("Retry", "retry", "btn btn-primary"),
        post("Discard", "discard", "btn btn-danger"),
        cls="form-actions",
    )


def _badge(state: str) -> Any:
    return Span(state, cls=f"badge state-{state}")


def _preview(error: str | None) -> str:
    if not error:
        return ""
    line = error.strip().splitlines()[0] if error.strip() else error
    return line if len(line) <= ERROR_PREVIEW else line[: ERROR_PREVIEW - 1] + "…"


def _arguments(args: Any) -> str:
    return json.dumps(args, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _time(timestamp: float | None) -> str:
    if timestamp is None:
        return "—"
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:.0f} min {rest:.0f} s"
