"""The README's example runs as written, in a fresh interpreter, against the fixture's Redis."""

from pathlib import Path

import pytest
from nitro_readme import run_readme_example

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.redis
def test_readme_example_runs(redis_url: str) -> None:
    output = run_readme_example(README, env={"NITRO_REDIS_URL": redis_url}, timeout=60)
    assert output == [
        "id='main' count=1",
        "2",
        "None",
        "{'Counter': {'id': 'main', 'count': 1}}",
        "5 5",
    ]
