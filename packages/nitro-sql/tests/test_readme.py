"""The README's Python example runs as written, in a fresh interpreter in an empty
directory (as a user would run it: default database file, tables on demand)."""

from __future__ import annotations

from pathlib import Path

from nitro_readme import run_readme_example

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path: Path) -> None:
    output = run_readme_example(
        README, cwd=tmp_path, unset=("NITRO_DATABASE_URL",), warnings_as_errors=True
    )
    assert output == [
        "['pen', 'pad']",
        "2 ['pad', 'pen']",
        "['pad', 'pen']",
        "3",
    ]
    assert (tmp_path / "nitro.db").exists()
