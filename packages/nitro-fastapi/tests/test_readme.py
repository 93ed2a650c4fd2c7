"""The README's example runs as written."""

import contextlib
import io
import re
from pathlib import Path

from nitro.actions import default_registry

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs():
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    namespace: dict = {"__name__": "readme_example"}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, str(README), "exec"), namespace)
    counter = namespace["Counter"]
    try:
        assert counter.get("main").count == 5
        assert "'count': 5" in output.getvalue()
    finally:
        counter.repository().clear()
        default_registry.forget(counter)
