"""The README's example runs as written, in a fresh interpreter."""

from pathlib import Path

from nitro_readme import run_readme_example

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs():
    assert "'count': 5" in "\n".join(run_readme_example(README, timeout=60))
