"""The configuration example of docs/redis.md runs as written against the fixture's Redis."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "redis.md"


@pytest.mark.redis
def test_configuration_example_runs(redis_url: str) -> None:
    code = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)[0]
    check = """
client = __import__("fastapi.testclient", fromlist=["TestClient"]).TestClient(app)
Counter(id="c").save()
assert client.post("/counter/c/increment").json()["entity"]["count"] == 1
assert Counter.repository().url == __import__("os").environ["NITRO_REDIS_URL"]
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code + check],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NITRO_REDIS_URL": redis_url},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
