"""The self-hosted Datastar client (nitro.actions.datastar_js)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nitro.actions import ActionConfigurationError
from nitro.actions.datastar_js import DATASTAR_JS_ENV, DatastarJs, resolve_datastar_js
from nitro.actions.request import ActionRequest

BODY = b"export const datastar = 1;\n"
DIGEST = hashlib.sha256(BODY).hexdigest()[:16]


@pytest.fixture
def client_file(tmp_path: Path) -> Path:
    path = tmp_path / "datastar.js"
    path.write_bytes(BODY)
    return path


def test_the_address_carries_the_prefix_and_the_content_hash(client_file: Path) -> None:
    own = DatastarJs.load(client_file, prefix="api/")
    assert own.path == "/api/_nitro/datastar.js"
    assert own.src == f"/api/_nitro/datastar.js?v={DIGEST}"
    assert own.etag == f'"{DIGEST}"'
    assert own.file == client_file.resolve()


def test_the_answer(client_file: Path) -> None:
    own = DatastarJs.load(client_file)
    answer = own.respond(ActionRequest("GET"))
    assert (answer.status, answer.body) == (200, BODY)
    assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for current in [own.etag, f'"other", W/{own.etag}', "*"]:
        not_modified = own.respond(ActionRequest("GET", headers={"if-none-match": current}))
        assert (not_modified.status, not_modified.body) == (304, b"")
        assert not_modified.headers["ETag"] == own.etag
    stale = own.respond(ActionRequest("GET", headers={"if-none-match": '"other"'}))
    assert stale.status == 200


def test_the_setting_comes_from_the_argument_then_the_environment(client_file: Path) -> None:
    assert resolve_datastar_js(None, environ={}) is None
    assert resolve_datastar_js(None, environ={DATASTAR_JS_ENV: "  "}) is None
    from_env = resolve_datastar_js(None, environ={DATASTAR_JS_ENV: f" {client_file} "})
    assert from_env is not None
    assert from_env.body == BODY
    given = resolve_datastar_js(client_file, environ={DATASTAR_JS_ENV: "/nowhere.js"})
    assert given is not None
    assert given.body == BODY


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ActionConfigurationError, match=r"nowhere\.js"):
        resolve_datastar_js(None, environ={DATASTAR_JS_ENV: str(tmp_path / "nowhere.js")})
