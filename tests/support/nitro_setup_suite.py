"""What ``configure_app`` sets up around the actions, on every framework: the
self-hosted Datastar client (``datastar_js=`` / ``NITRO_DATASTAR_JS``) and Nitro's
errors raised in the app's own routes.

Each adapter package subclasses :class:`SetupSuite` (``new_app``, ``configure``,
``add_page``, ``add_error_handler``, ``serve``); the tests talk to a real server
through httpx.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from nitro import Entity, NotFound
from nitro.actions import ActionConfigurationError, action
from nitro.persistence import BackendUnavailable, ConcurrencyError
from rusty_tags import DATASTAR_CDN_URL, Div, Page

#: Stands in for datastar.js: these tests check what is served, not what it runs.
CLIENT = b"/* datastar stand-in */ export const ready = true;\n"
DIGEST = hashlib.sha256(CLIENT).hexdigest()[:16]


class Shelf(Entity):
    """An action that looks up another entity by id and may not find it."""

    @action(method="POST")
    @classmethod
    def lookup(cls, shelf_id: str = "") -> str:
        return cls.get_or_raise(shelf_id).id


def _missing() -> str:
    return Shelf.get_or_raise("nope").id


def _conflict() -> str:
    raise ConcurrencyError(entity_cls=Shelf, entity_id="s1", expected=1, found=2)


def _unavailable() -> str:
    raise BackendUnavailable("db.internal:5432 refused the connection")


def _crash() -> str:
    raise RuntimeError("secret detail")


def _page() -> str:
    return str(Page(Div("hello", id="greeting"), title="Setup"))


class SetupSuite:
    @classmethod
    def new_app(cls) -> Any:
        """A new app of the framework, without Nitro."""
        raise NotImplementedError

    @classmethod
    def configure(cls, app: Any, **options: Any) -> Any:
        """The adapter's ``configure_app(app, **options)``."""
        raise NotImplementedError

    @classmethod
    def build_app(cls, **options: Any) -> Any:
        app = cls.new_app()
        cls.configure(app, entities=[Shelf], **options)
        return app

    @classmethod
    def add_page(cls, app: Any, path: str, render: Callable[[], str]) -> None:
        """A sync ``GET path`` of the app's own answering ``render()`` as HTML."""
        raise NotImplementedError

    @classmethod
    def add_error_handler(cls, app: Any, error: type[Exception], status: int) -> None:
        """The app's own handler for *error*: plain text ``"mine"`` with *status*."""
        raise NotImplementedError

    @classmethod
    def serve(cls, app: Any) -> AbstractContextManager[str]:
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------

    @pytest.fixture
    def client_file(self, tmp_path: Path) -> Path:
        path = tmp_path / "datastar.js"
        path.write_bytes(CLIENT)
        return path

    def started(self, app: Any) -> AbstractContextManager[str]:
        self.add_page(app, "/page", _page)
        return self.serve(app)

    @staticmethod
    def script_src(html: str) -> str:
        match = re.search(r'<script type="module" src="([^"]*)"', html)
        assert match, html
        return match.group(1)

    # -- self-hosted Datastar -----------------------------------------------------------

    def test_pages_load_the_served_file(self, client_file: Path) -> None:
        app = self.build_app(datastar_js=str(client_file))
        with self.started(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            page = client.get("/page")
            assert page.status_code == 200
            src = self.script_src(page.text)
            assert src == f"/_nitro/datastar.js?v={DIGEST}"
            assert DATASTAR_CDN_URL not in page.text

            served = client.get(src)
            assert served.status_code == 200
            assert served.content == CLIENT
            assert served.headers["content-type"].startswith("text/javascript")
            assert served.headers["etag"] == f'"{DIGEST}"'
            assert "max-age=31536000" in served.headers["cache-control"]
            assert "immutable" in served.headers["cache-control"]

            again = client.get(src, headers={"If-None-Match": served.headers["etag"]})
            assert again.status_code == 304
            assert again.content == b""

    def test_the_environment_variable_is_the_same_setting(
        self, client_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("NITRO_DATASTAR_JS", str(client_file))
        app = self.build_app(prefix="/app")
        monkeypatch.delenv("NITRO_DATASTAR_JS")  # read at configure time
        with self.started(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            src = self.script_src(client.get("/page").text)
            assert src == f"/app/_nitro/datastar.js?v={DIGEST}"
            assert client.get(src).content == CLIENT

    def test_without_the_setting_pages_load_the_cdn(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("NITRO_DATASTAR_JS", raising=False)
        monkeypatch.delenv("RUSTY_TAGS_DATASTAR_SRC", raising=False)
        app = self.build_app()
        with self.started(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            assert self.script_src(client.get("/page").text) == DATASTAR_CDN_URL
            assert client.get("/_nitro/datastar.js").status_code == 404

    def test_the_setting_is_per_app(
        self, client_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("NITRO_DATASTAR_JS", raising=False)
        monkeypatch.delenv("RUSTY_TAGS_DATASTAR_SRC", raising=False)
        own, cdn = self.build_app(datastar_js=client_file), self.build_app()
        with self.started(own) as own_url, self.started(cdn) as cdn_url:
            for _ in range(3):  # the same server threads serve both, in turn
                assert self.script_src(httpx.get(own_url + "/page").text).startswith(
                    "/_nitro/datastar.js?v="
                )
                assert self.script_src(httpx.get(cdn_url + "/page").text) == DATASTAR_CDN_URL

    def test_a_missing_file_is_a_startup_error_naming_it(self, tmp_path: Path) -> None:
        missing = tmp_path / "nowhere" / "datastar.js"
        with pytest.raises(ActionConfigurationError) as raised:
            self.build_app(datastar_js=str(missing))
        assert str(missing) in str(raised.value)
        assert "NITRO_DATASTAR_JS" in str(raised.value)

    def test_a_directory_or_an_empty_file_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ActionConfigurationError, match=re.escape(str(tmp_path))):
            self.build_app(datastar_js=tmp_path)
        empty = tmp_path / "empty.js"
        empty.write_text("")
        with pytest.raises(ActionConfigurationError, match="is empty"):
            self.build_app(datastar_js=empty)

    # -- Nitro's errors in the app's own routes --------------------------------------

    @pytest.fixture
    def errors_url(self) -> Iterator[str]:
        Shelf.repository().clear()
        app = self.build_app()
        self.add_page(app, "/missing", _missing)
        self.add_page(app, "/conflict", _conflict)
        self.add_page(app, "/unavailable", _unavailable)
        self.add_page(app, "/crash", _crash)
        with self.serve(app) as url:
            yield url

    def test_not_found_in_an_own_route_is_a_404_like_in_an_action(self, errors_url: str) -> None:
        own = httpx.get(errors_url + "/missing")
        in_action = httpx.post(errors_url + "/shelf/lookup", json={"shelf_id": "nope"})
        assert own.status_code == in_action.status_code == 404
        assert own.json() == in_action.json() == {"error": "Shelf not found"}
        assert "nope" not in own.text

    def test_other_nitro_errors_get_their_status(self, errors_url: str) -> None:
        conflict = httpx.get(errors_url + "/conflict")
        assert conflict.status_code == 409
        assert conflict.json()["error"].startswith("Changed by someone else")
        unavailable = httpx.get(errors_url + "/unavailable")
        assert unavailable.status_code == 503
        assert unavailable.json() == {"error": "Service temporarily unavailable"}
        assert "db.internal" not in unavailable.text

    def test_other_errors_stay_a_500_without_details(self, errors_url: str) -> None:
        crash = httpx.get(errors_url + "/crash")
        assert crash.status_code == 500
        assert "secret detail" not in crash.text
        assert "Traceback" not in crash.text

    def test_the_apps_own_handler_is_kept(self) -> None:
        app = self.new_app()
        self.add_error_handler(app, NotFound, 410)  # before configure_app
        self.configure(app, entities=[Shelf])
        self.add_page(app, "/missing", _missing)
        self.add_page(app, "/conflict", _conflict)
        with self.serve(app) as url:
            answer = httpx.get(url + "/missing")
            assert (answer.status_code, answer.text) == (410, "mine")
            assert httpx.get(url + "/conflict").status_code == 409  # the others still
