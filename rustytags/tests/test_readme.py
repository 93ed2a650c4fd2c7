"""The example in rustytags/README.md runs and prints what the README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_output() -> None:
    text = README.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S)
    shown = re.search(r"prints \(one line\):\n\n```html\n(.*?)\n```", text, re.S)
    assert code
    assert shown
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(README), "exec"), {})
    assert out.getvalue().strip() == shown.group(1)
