"""The background-jobs dashboard (``/admin/jobs``) on FastAPI, Flask and FastHTML, over
real servers, with nitro-cqrs's in-process engine (and once with the Redis job store).

nitro.admin never imports nitro.cqrs; these tests do, to hand the admin a real engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi, serve_wsgi

from nitro.admin import (
    Admin,
    AdminConfigurationError,
    AdminUser,
    AlreadyMounted,
    AlreadyRegistered,
    JobsAdmin,
    JobsEngine,
    PasswordAuth,
    hash_password,
)
from nitro.cqrs.jobs import Envelope, InProcessEngine, JobRetry, configure_jobs, job

SECRET = "jobs-dashboard-secret-0123456789-abcdef"
PASSWORD = "correct horse battery staple"
XSS = "<script>alert('x')</script>"
USERS = [
    AdminUser("ann", hash_password(PASSWORD), is_superuser=True),
    AdminUser("otto", hash_password(PASSWORD), permissions={"jobs.*"}),
    AdminUser("olga", hash_password(PASSWORD), permissions={"jobs.view"}),
    AdminUser("viv", hash_password(PASSWORD), permissions={"product.view"}),
]

#: While set, ``ship`` fails (its "cause"); tests clear it to fix the job.
broken = {"ship": True}
shipped: list[str] = []


@job(name="nitro_admin_tests.ship", retry=JobRetry(max_tries=1))
def ship(order_id: str, note: str = "") -> None:
    if broken["ship"]:
        raise ValueError(f"cannot ship {order_id}: {note}")
    shipped.append(order_id)


@job(name="nitro_admin_tests.ping", queue="mail")
def ping(n: int) -> None:
    pass


# -- serving ---------------------------------------------------------------------------


def build_app(framework: str, admin: Admin) -> Any:
    if framework == "fastapi":
        from fastapi import FastAPI

        from nitro.adapters.fastapi import mount as mount_fastapi

        app: Any = FastAPI()
        mount_fastapi(app, admin)
    elif framework == "flask":
        from flask import Flask

        from nitro.adapters.flask import mount as mount_flask

        app = Flask(__name__)
        mount_flask(app, admin)
    else:
        from fasthtml.common import fast_app

        from nitro.adapters.fasthtml import mount as mount_fasthtml

        app, _ = fast_app()
        mount_fasthtml(app, admin)
    return app


@dataclass
class Site:
    url: str
    engine: InProcessEngine

    @contextmanager
    def login(self, username: str = "ann") -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            response = client.post(
                "/admin/login",
                data={
                    "username": username,
                    "password": PASSWORD,
                    "csrf_token": csrf(client.get("/admin/login").text),
                },
            )
            assert response.status_code == 303, response.text
            yield client

    def state(self, job_id: str) -> str | None:
        record = self.engine.store.get(job_id)
        return None if record is None else record.state


@contextmanager
def serve(framework: str, engine: Any) -> Iterator[str]:
    admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET, jobs=engine)
    server = serve_wsgi if framework == "flask" else serve_asgi
    with server(build_app(framework, admin)) as url:
        yield url


@pytest.fixture(params=["fastapi", "flask", "fasthtml"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    broken["ship"] = True
    shipped.clear()
    engine = InProcessEngine()
    configure_jobs(engine)
    with serve(request.param, engine) as url:
        yield Site(url, engine)
    engine.drain()


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def dead_job(site: Site, order_id: str = "o-1", note: str = "no stock") -> str:
    ref = ship.enqueue(order_id=order_id, note=note)
    assert site.engine.drain()
    assert site.state(ref.id) == "dead"
    return ref.id


def post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    token = csrf(client.get("/admin/jobs").text)
    return client.post(path, data={"csrf_token": token, **data})


def flash(client: httpx.Client, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    match = re.search(r'<div class="flash (\w+)" role="status">([^<]*)</div>', page)
    assert match, "no flash message"
    return f"{match.group(1)}: {match.group(2)}"


# -- the page ------------------------------------------------------------------------------


def test_counts_queues_and_recent_jobs_show(site: Site) -> None:
    ping.enqueue(n=1)
    ping.enqueue(n=2)
    dead_id = dead_job(site)
    with site.login() as client:
        response = client.get("/admin/jobs")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        page = response.text
        counts = {
            state: int(n)
            for n, state in re.findall(r"<strong>(\d+)</strong><span>(\w+)</span>", page)
        }
        assert counts == {"queued": 0, "running": 0, "done": 2, "failed": 0, "dead": 1}
        assert "nitro_admin_tests.ping" in page
        assert "nitro_admin_tests.ship" in page
        assert "<td>mail</td>" in page
        assert "<td>default</td>" in page
        assert "cannot ship o-1: no stock" in page
        assert re.search(r"\d+ ms</td>", page)  # a duration
        assert f'href="/admin/jobs/{dead_id}"' in page

        dead_only = client.get("/admin/jobs", params={"state": "dead"}).text
        table = dead_only.split('id="recent-jobs"')[1].split('id="dead-letters"')[0]
        assert "nitro_admin_tests.ship" in table
        assert "nitro_admin_tests.ping" not in table

        assert client.get("/admin/jobs", params={"state": "bogus"}).status_code == 400

        detail = client.get(f"/admin/jobs/{dead_id}")
        assert detail.status_code == 200
        assert "Traceback" in detail.text
        assert "ValueError" in detail.text
        assert '"order_id": "o-1"' in detail.text  # the arguments, as JSON
        assert client.get("/admin/jobs/nope").status_code == 404

        index = client.get("/admin/").text
        assert 'href="/admin/jobs"' in index
        assert 'href="/admin/jobs?state=dead"' in index


def test_a_dead_job_is_retried_from_the_dashboard_and_completes(site: Site) -> None:
    job_id = dead_job(site)
    broken["ship"] = False  # fix the cause first
    with site.login() as client:
        page = client.get("/admin/jobs").text
        assert f'action="/admin/jobs/{job_id}/retry"' in page
        assert f'action="/admin/jobs/{job_id}/discard"' in page
        response = post(client, f"/admin/jobs/{job_id}/retry", state="dead")
        assert response.headers["location"] == "/admin/jobs?state=dead"
        assert "sent to the queue “default” again" in flash(client, response)
    assert site.engine.drain()
    assert site.state(job_id) == "done"
    assert shipped == ["o-1"]


def test_discard_removes_a_dead_job(site: Site) -> None:
    job_id = dead_job(site)
    with site.login("otto") as client:
        response = post(client, f"/admin/jobs/{job_id}/discard")
        assert response.headers["location"] == "/admin/jobs"
        assert flash(client, response).startswith("success: The job “nitro_admin_tests.ship”")
        assert site.state(job_id) is None
        assert job_id not in client.get("/admin/jobs").text
        assert post(client, f"/admin/jobs/{job_id}/discard").status_code == 404
        assert post(client, f"/admin/jobs/{job_id}/retry").status_code == 404


def test_a_job_that_is_not_dead_is_left_alone(site: Site) -> None:
    ref = ping.enqueue(n=1)
    assert site.engine.drain()
    with site.login() as client:
        for action in ("retry", "discard"):
            response = post(client, f"/admin/jobs/{ref.id}/{action}")
            message = flash(client, response)
            assert message == (
                "error: The job “nitro_admin_tests.ping” is done, not in the dead-letter "
                "queue: nothing was done."
            )
    assert site.engine.drain()
    assert site.state(ref.id) == "done"


def test_posts_without_the_csrf_token_are_refused(site: Site) -> None:
    job_id = dead_job(site)
    broken["ship"] = False
    with site.login() as client:
        for action in ("retry", "discard"):
            response = client.post(f"/admin/jobs/{job_id}/{action}", data={})
            assert response.status_code == 403
            forged = client.post(f"/admin/jobs/{job_id}/{action}", data={"csrf_token": "x" * 64})
            assert forged.status_code == 403
    assert site.engine.drain()
    assert site.state(job_id) == "dead"
    assert shipped == []


def test_view_only_users_see_the_page_but_cannot_retry_or_discard(site: Site) -> None:
    job_id = dead_job(site)
    broken["ship"] = False
    with site.login("olga") as client:
        page = client.get("/admin/jobs")
        assert page.status_code == 200
        assert "nitro_admin_tests.ship" in page.text
        assert "/retry" not in page.text
        assert "/discard" not in page.text
        for action in ("retry", "discard"):
            assert post(client, f"/admin/jobs/{job_id}/{action}").status_code == 403
    assert site.engine.drain()
    assert site.state(job_id) == "dead"
    assert shipped == []


def test_users_without_the_jobs_permission_get_403_and_no_link(site: Site) -> None:
    job_id = dead_job(site)
    with site.login("viv") as client:
        assert client.get("/admin/jobs").status_code == 403
        assert client.get(f"/admin/jobs/{job_id}").status_code == 403
        assert "/admin/jobs" not in client.get("/admin/").text
        token = csrf(client.get("/admin/").text)
        response = client.post(f"/admin/jobs/{job_id}/discard", data={"csrf_token": token})
        assert response.status_code == 403
    assert site.state(job_id) == "dead"


def test_anonymous_requests_go_to_the_login_page(site: Site) -> None:
    job_id = dead_job(site)
    with httpx.Client(base_url=site.url, timeout=10) as client:
        response = client.get("/admin/jobs", params={"state": "dead"})
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Fjobs%3Fstate%3Ddead"
        for path in (f"/admin/jobs/{job_id}", f"/admin/jobs/{job_id}/retry"):
            response = client.request("POST" if path.endswith("retry") else "GET", path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/admin/login")
        assert client.post(f"/admin/jobs/{job_id}/discard").status_code == 303
    assert site.state(job_id) == "dead"


def test_hostile_job_names_arguments_and_errors_are_escaped(site: Site) -> None:
    dead_job(site, order_id=XSS, note=XSS)
    hostile = Envelope(job="<img src=x onerror=alert(1)>", args={"html": XSS}, queue="<b>q</b>")
    site.engine.store.finish(
        hostile, "dead", error=XSS, traceback=f"Traceback: {XSS}", reason="<i>why</i>"
    )
    with site.login() as client:
        for path in ("/admin/jobs", f"/admin/jobs/{hostile.id}", "/admin/jobs?state=dead"):
            page = client.get(path).text
            for raw in ("<script>alert", "<img src=x", "<i>why</i>", "<b>q</b>"):
                assert raw not in page, (path, raw)
            assert "&lt;script&gt;alert('x')&lt;/script&gt;" in page, path
            assert "&lt;img src=x onerror=alert(1)&gt;" in page, path


@pytest.mark.parametrize("framework", ["fastapi", "flask", "fasthtml"])
def test_an_unreachable_job_store_answers_503(framework: str) -> None:
    """Redis down: the store raises BackendUnavailable, like any admin storage."""
    from nitro.cqrs.jobs.redis_store import RedisJobStore

    down = InProcessEngine(RedisJobStore("redis://:secret@127.0.0.1:1/0"))
    with serve(framework, down) as url:
        second = Site(url, down)
        with second.login() as client:
            response = client.get("/admin/jobs")
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"
            assert response.headers["cache-control"] == "no-store"
            assert "secret" not in response.text
            assert client.get("/admin/").status_code == 200  # the rest of the admin works
    down.close()


@pytest.mark.redis
def test_the_redis_job_store_dead_job_retried_from_the_dashboard(redis_url: str) -> None:
    from nitro.cqrs.jobs.redis_store import RedisJobStore

    broken["ship"] = True
    shipped.clear()
    engine = InProcessEngine(RedisJobStore(redis_url))
    configure_jobs(engine)
    with serve("fastapi", engine) as url:
        site = Site(url, engine)
        job_id = dead_job(site, order_id="r-1")
        kept = dead_job(site, order_id="r-2")
        broken["ship"] = False
        with site.login() as client:
            page = client.get("/admin/jobs").text
            assert "cannot ship r-1: no stock" in page
            assert "Dead-letter queue (2)" in page
            assert post(client, f"/admin/jobs/{job_id}/retry").status_code == 303
            assert engine.drain()
            assert site.state(job_id) == "done"
            assert shipped == ["r-1"]
            assert post(client, f"/admin/jobs/{kept}/discard").status_code == 303
            assert site.state(kept) is None
            assert "Dead-letter queue (0)" in client.get("/admin/jobs").text


# -- setup -------------------------------------------------------------------------------


def test_the_engine_satisfies_the_protocol_and_register_jobs_is_a_setup_call() -> None:
    engine = InProcessEngine()
    assert isinstance(engine, JobsEngine)
    admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET)
    jobs_admin = admin.register_jobs(engine)
    assert isinstance(jobs_admin, JobsAdmin)
    assert admin.jobs_admin is jobs_admin
    with pytest.raises(AlreadyRegistered):
        admin.register_jobs(engine)
    admin.web_routes()
    late = Admin(auth=PasswordAuth(USERS), secret_key=SECRET)
    late.web_routes()
    with pytest.raises(AlreadyMounted, match=r"register_jobs\(\) was called after"):
        late.register_jobs(engine)
    paths = {route.path for route in admin.web_routes()}
    assert {"/admin/jobs", "/admin/jobs/{id}/retry", "/admin/jobs/{id}/discard"} <= paths
    engine.close()


def test_without_jobs_there_is_no_dashboard_route_or_link() -> None:
    admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET)
    assert admin.jobs_admin is None
    assert not any("/jobs" in route.path for route in admin.web_routes())


def test_checks_report_a_bad_engine_a_slug_clash_and_bad_limits() -> None:
    from nitro import Entity

    class Jobs(Entity):
        name: str = ""

    class Narrow(JobsAdmin):
        recent_limit = 0

    admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET)
    admin.register(Jobs)
    admin.register_jobs(object(), Narrow)  # type: ignore[arg-type]
    ids = [message.id for message in admin.check()]
    assert ids == ["admin.E039", "admin.E040", "admin.E042"]
    with pytest.raises(AdminConfigurationError, match=r"lacks store\.counts"):
        admin.web_routes()
