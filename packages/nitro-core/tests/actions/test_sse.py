"""SSE text follows the Datastar 1.0 protocol, checked against datastar-py where present."""

import json

from nitro.actions import sse


def test_patch_signals():
    assert sse.patch_signals({"A": {"n": 1, "s": "é"}}) == (
        'event: datastar-patch-signals\ndata: signals {"A":{"n":1,"s":"\\u00e9"}}\n\n'
    )
    assert "data: onlyIfMissing true\n" in sse.patch_signals({}, only_if_missing=True)


def test_patch_elements_splits_lines_and_omits_defaults():
    text = sse.patch_elements("<li>a</li>\n<li>b</li>", selector="#list", mode="append")
    assert text == (
        "event: datastar-patch-elements\ndata: selector #list\ndata: mode append\n"
        "data: elements <li>a</li>\ndata: elements <li>b</li>\n\n"
    )
    assert sse.patch_elements("<p id=x></p>") == (
        "event: datastar-patch-elements\ndata: elements <p id=x></p>\n\n"
    )


def test_signals_are_valid_json():
    line = sse.patch_signals({"q": 'a"b\n'}).splitlines()[1]
    assert json.loads(line.removeprefix("data: signals ")) == {"q": 'a"b\n'}


def test_signal_payloads_hold_nothing_datastar_rewrites():
    # Datastar falls back to evaluating the payload when JSON.parse fails, and its
    # rewrites act inside strings: payloads are strict JSON with those characters escaped.
    hostile = "@__escaped0(\U0001f595JS_ alert(1) _DS\U0001f680 ${x} `y`; </script>"
    payload = sse.patch_signals({"A": {"s": hostile, "nan": float("nan")}}).splitlines()[1]
    text = payload.removeprefix("data: signals ")
    assert json.loads(text) == {"A": {"s": hostile, "nan": None}}
    assert text.isascii()
    assert not set("@$`;<") & set(text)
