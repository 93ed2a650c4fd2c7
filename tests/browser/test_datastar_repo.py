"""DatastarRepo in headless Chromium with the real Datastar 1.0.1 client.

examples/prefs runs as a subprocess (uvicorn); the Prefs record lives only in the
browser's Web Storage. A saved preference survives a reload; sessionStorage stays in
its tab; two tabs converge by the version rule (higher ``v`` wins, a tie goes to the
larger record text); a hostile string round-trips as text and never runs; an older
(tampered) record written to storage loses to the newer one the page holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nitro_datastar import open_page
from nitro_examples import serve_example
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HOSTILE = "</script><img src=x onerror=window.__pwned=1> \"double\" 'single' back\\slash $x"
KEY = "nitro:Prefs"


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    with serve_example("prefs", tmp_path) as url:
        yield url


def stored(page: Any, area: str = "localStorage") -> dict[str, Any] | None:
    """The ``me`` record in the page's storage, parsed (``None`` when absent)."""
    raw = page.evaluate(f"window.{area}.getItem({json.dumps(KEY)})")
    if raw is None:
        return None
    records = json.loads(raw)
    return json.loads(records["me"]) if "me" in records else None


def wait_stored(page: Any, check: Callable[[dict[str, Any]], bool], area: str = "localStorage"):
    """Wait until the stored ``me`` record satisfies *check* (read through Python)."""
    deadline = 50
    last: object = None
    for _ in range(deadline):
        try:
            record = stored(page, area)
        except (ValueError, TypeError, KeyError) as exc:  # garbage not yet put back
            last = exc
        else:
            last = record
            if record is not None and check(record):
                return record
        page.wait_for_timeout(100)
    raise AssertionError(f"storage never matched; last record: {last!r}")


def write_storage(page: Any, record: dict[str, Any]) -> None:
    """What another tab (or the user, in the dev tools) writes: fires ``storage`` in
    every other tab of the origin."""
    text = json.dumps({"me": json.dumps(record, separators=(",", ":"))})
    page.evaluate("([k, v]) => window.localStorage.setItem(k, v)", [KEY, text])


def writer(context: Any, base: str) -> Any:
    """A page of the origin that runs no glue (a JSON document): its writes to storage
    are another tab's, seen by every page that runs the glue."""
    page = context.new_page()
    page.goto(base + "/openapi.json")
    return page


def record_of(theme: str, version: int, note: str = "") -> dict[str, Any]:
    return {"v": version, "f": {"id": "me", "theme": theme, "note": note}}


def test_a_saved_preference_survives_a_reload(base: str, datastar_context: Any) -> None:
    page = open_page(datastar_context, base)
    expect(page.locator("#theme")).to_have_text("light")
    assert stored(page) == {"v": 0, "f": {"id": "me", "theme": "light", "note": ""}}
    page.click("#dark")
    expect(page.locator("#theme")).to_have_text("dark")
    assert wait_stored(page, lambda r: r["v"] == 1)["f"]["theme"] == "dark"

    page.reload()
    page.wait_for_function("window.__datastarReady === true")
    expect(page.locator("#theme")).to_have_text("dark")  # the server never stored it
    later = open_page(datastar_context, base)  # a new tab shares localStorage
    expect(later.locator("#theme")).to_have_text("dark")
    later.click("#light")  # and the next action starts from the stored version
    assert wait_stored(later, lambda r: r["v"] == 2)["f"]["theme"] == "light"


def test_session_storage_stays_in_its_tab(base: str, datastar_context: Any) -> None:
    url = base + "/?storage=session"
    first = open_page(datastar_context, url)
    first.click("#dark")
    expect(first.locator("#theme")).to_have_text("dark")
    wait_stored(first, lambda r: r["v"] == 1, "sessionStorage")
    assert stored(first) is None  # nothing in localStorage

    first.reload()
    first.wait_for_function("window.__datastarReady === true")
    expect(first.locator("#theme")).to_have_text("dark")  # same tab: kept
    second = open_page(datastar_context, url)
    expect(second.locator("#theme")).to_have_text("light")  # another tab: its own
    assert stored(second, "sessionStorage")["v"] == 0  # type: ignore[index]
    first.click("#light")
    wait_stored(first, lambda r: r["v"] == 2, "sessionStorage")
    second.click("#dark")
    expect(second.locator("#theme")).to_have_text("dark")
    expect(first.locator("#theme")).to_have_text("light")  # no storage event across tabs


def test_two_tabs_converge_by_the_version_rule(base: str, datastar_context: Any) -> None:
    one, two = open_page(datastar_context, base), open_page(datastar_context, base)
    one.click("#dark")  # v1 in tab one; the storage event brings it to tab two
    expect(two.locator("#theme")).to_have_text("dark")
    two.click("#light")  # tab two now holds v1, so its save is v2
    expect(one.locator("#theme")).to_have_text("light")
    assert wait_stored(one, lambda r: r["v"] == 2)["f"]["theme"] == "light"

    # A newer write from elsewhere wins in both tabs.
    elsewhere = writer(datastar_context, base)
    write_storage(elsewhere, record_of("newer", 5))
    for tab in (one, two):
        expect(tab.locator("#theme")).to_have_text("newer")
    # A tie (same v, another record) goes to the larger JSON text, in every tab.
    write_storage(elsewhere, record_of("aaa", 5))  # "aaa" < "newer": the tabs keep theirs
    assert wait_stored(elsewhere, lambda r: r["f"]["theme"] == "newer")["v"] == 5
    write_storage(elsewhere, record_of("zzz", 5))  # "zzz" > "newer": the tabs take it
    for tab in (one, two):
        expect(tab.locator("#theme")).to_have_text("zzz")
    assert stored(elsewhere) == record_of("zzz", 5)
    one.reload()
    one.wait_for_function("window.__datastarReady === true")
    expect(one.locator("#theme")).to_have_text("zzz")
    one.click("#dark")  # the server continues from the winner's version
    assert wait_stored(two, lambda r: r["v"] == 6)["f"]["theme"] == "dark"
    expect(two.locator("#theme")).to_have_text("dark")


def test_a_tampered_older_record_loses_to_the_newer(base: str, datastar_context: Any) -> None:
    page, other = open_page(datastar_context, base), open_page(datastar_context, base)
    page.click("#dark")
    page.click("#light")
    wait_stored(page, lambda r: r["v"] == 2)
    expect(other.locator("#theme")).to_have_text("light")
    elsewhere = writer(datastar_context, base)
    write_storage(elsewhere, record_of("tampered", 1))  # older than what the tabs hold
    # the page that holds v2 puts it back; nothing shows the tampered value
    assert wait_stored(other, lambda r: r["v"] == 2)["f"]["theme"] == "light"
    for tab in (page, other):
        expect(tab.locator("#theme")).to_have_text("light")
    # Garbage in storage is never executed nor shown, and loses to any real record.
    garbage = {"me": "<img src=x onerror=window.__pwned=1>", "a.b": '{"v":99}', "x": 1}
    elsewhere.evaluate("([k, v]) => localStorage.setItem(k, v)", [KEY, json.dumps(garbage)])
    assert wait_stored(other, lambda r: r["v"] == 2)["f"]["theme"] == "light"
    other.reload()
    other.wait_for_function("window.__datastarReady === true")
    expect(other.locator("#theme")).to_have_text("light")
    for tab in (page, other):
        assert tab.evaluate("window.__pwned") is None
        assert tab.locator("img").count() == 0


def test_a_hostile_string_round_trips_and_never_runs(base: str, datastar_context: Any) -> None:
    page, other = open_page(datastar_context, base), open_page(datastar_context, base)
    page.fill("#note-input", HOSTILE)
    page.click("#save-note")
    expect(page.locator("#note")).to_have_text(HOSTILE)
    assert wait_stored(page, lambda r: r["v"] == 1)["f"]["note"] == HOSTILE
    expect(other.locator("#note")).to_have_text(HOSTILE)  # through the storage event

    page.reload()
    page.wait_for_function("window.__datastarReady === true")
    expect(page.locator("#note")).to_have_text(HOSTILE)
    page.click("#dark")  # the record goes to the server and back unchanged
    assert wait_stored(page, lambda r: r["v"] == 2)["f"] == {
        "id": "me",
        "theme": "dark",
        "note": HOSTILE,
    }
    for tab in (page, other):
        assert tab.evaluate("window.__pwned") is None
        assert tab.locator("img").count() == 0
