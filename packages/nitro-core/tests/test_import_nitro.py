"""What ``import nitro`` loads: the domain and the action declarations, not the
serving side (the dispatcher, the app, the ASGI driver)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(result.stdout))


def test_import_nitro_does_not_import_the_dispatcher():
    loaded = modules_after("import nitro")
    assert "nitro.entity" in loaded
    assert "nitro.actions.decorator" in loaded
    for serving in ("nitro.actions.dispatcher", "nitro.actions.app", "nitro.actions.asgi"):
        assert serving not in loaded, f"import nitro imported {serving}"


def test_the_serving_names_of_nitro_actions_load_on_first_use():
    loaded = modules_after(
        "import nitro.actions as a\n"
        "assert 'nitro.actions.dispatcher' not in sys.modules\n"
        "assert a.ActionDispatcher.__module__ == 'nitro.actions.dispatcher'\n"
        "assert a.ActionApp.__name__ == 'ActionApp'"
    )
    assert "nitro.actions.dispatcher" in loaded


def test_an_unknown_name_of_nitro_actions_is_an_attribute_error():
    import nitro.actions

    with pytest.raises(AttributeError, match="no_such_name"):
        nitro.actions.no_such_name  # noqa: B018
