"""The body limit and the JSON depth limit (no server needed; the adapters' suite
checks them through real servers)."""

import io
import json
import re

import pytest

from nitro.actions import ActionConfigurationError, BadRequest, RequestTooLarge, build_action_app
from nitro.actions.limits import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_BODY_BYTES_ENV,
    MAX_JSON_DEPTH,
    check_content_length,
    parse_json,
    read_wsgi_body,
    resolve_max_body_bytes,
)


def test_limit_from_argument_then_environment_then_default():
    assert resolve_max_body_bytes(None, {}) == DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    assert resolve_max_body_bytes(None, {MAX_BODY_BYTES_ENV: "10_000"}) == 10_000
    assert resolve_max_body_bytes(500, {MAX_BODY_BYTES_ENV: "10000"}) == 500


@pytest.mark.parametrize("bad", [0, -1, True, "1MB", 1.5])
def test_invalid_limit_is_a_configuration_error(bad):
    with pytest.raises(ActionConfigurationError, match="max_body_bytes must be a positive"):
        resolve_max_body_bytes(bad)


def test_invalid_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv(MAX_BODY_BYTES_ENV, "lots")
    with pytest.raises(ActionConfigurationError, match=MAX_BODY_BYTES_ENV):
        build_action_app(entities=[])
    monkeypatch.setenv(MAX_BODY_BYTES_ENV, "4096")
    assert build_action_app(entities=[]).max_body_bytes == 4096


def test_declared_length_is_checked_before_reading():
    assert check_content_length({}, 10) is None
    assert check_content_length({"content-length": "10"}, 10) == 10
    with pytest.raises(RequestTooLarge):
        check_content_length({"content-length": "11"}, 10)
    for bad in ("ten", "-1"):
        with pytest.raises(BadRequest, match="Content-Length"):
            check_content_length({"content-length": bad}, 10)


class Exploding(io.BytesIO):
    def read(self, size=-1):  # type: ignore[override]
        raise AssertionError("the body was read")


def test_wsgi_body_above_the_declared_limit_is_never_read():
    environ = {"wsgi.input": Exploding(), "CONTENT_LENGTH": str(400 * 1024 * 1024)}
    with pytest.raises(RequestTooLarge):
        read_wsgi_body(environ, 1024)


def test_wsgi_chunked_body_is_counted_while_read():
    body = io.BytesIO(b"x" * 5000)
    with pytest.raises(RequestTooLarge):
        read_wsgi_body({"wsgi.input": body, "wsgi.input_terminated": True}, 1024)
    assert body.tell() == 1025  # stopped one byte past the limit
    small = {"wsgi.input": io.BytesIO(b"{}"), "wsgi.input_terminated": True}
    assert read_wsgi_body(small, 1024) == b"{}"
    # neither a length nor a terminated stream: no body (PEP 3333)
    assert read_wsgi_body({"wsgi.input": Exploding()}, 1024) == b""


def test_json_depth_limit():
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(at_limit, "the body") is not None
    for too_deep in (
        "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
        '{"a":' * 100_000 + "1" + "}" * 100_000,  # past Python's recursion limit
    ):
        with pytest.raises(BadRequest, match="the body is nested too deeply"):
            parse_json(too_deep, "the body")
    with pytest.raises(ValueError, match="Expecting property name"):
        parse_json("{nope", "the body")


@pytest.mark.parametrize(
    "text",
    [
        b'{"Counter":{"id":"main","count":0}}',
        b'{"a":1,"a":2}',  # the last one wins
        b'{"a":NaN,"b":Infinity,"c":-Infinity,"d":1e400}',
        b'{"big":123456789012345678901234567890,"f":0.1,"z":-0.0,"e":1E5}',
        b'{"s":"\\u00e9\\u0000\\ud83d\\ude00","t":"\xc3\xa9"}',
        b'{"lone":"\\ud800"}',  # a lone surrogate: json.loads keeps it
        b'\xef\xbb\xbf{"bom":1}',  # a UTF-8 BOM: json.loads skips it
        "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH,
    ],
)
def test_json_values_are_those_of_json_loads(text):
    assert repr(parse_json(text, "the body")) == repr(json.loads(text))


@pytest.mark.parametrize(
    "text", [b"", b"{nope", b'{"a":1} x', b'{"a":01}', b'{"a":"\x01"}', b"{\xff}", b"[1,]"]
)
def test_invalid_json_fails_as_with_json_loads(text):
    try:
        json.loads(text)
    except ValueError as error:
        expected = error
    with pytest.raises(type(expected), match=f"^{re.escape(str(expected))}$"):
        parse_json(text, "the body")
