"""The README's example runs as written and prints what the README says."""

from __future__ import annotations

import re
from pathlib import Path

from nitro_readme import run_readme_example

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_prints_what_it_says() -> None:
    expected = re.search(r"It prints:\n\n```text\n(.*?)```", README.read_text(), re.S)
    assert expected is not None
    assert run_readme_example(README, warnings_as_errors=True) == expected.group(1).splitlines()
