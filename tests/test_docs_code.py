"""Every fenced code block of docs/ and of every README is checked: the python blocks
run (one fresh interpreter per page, in an empty directory), the data blocks parse,
snippet includes name an existing file, and whatever is not run says why with
``<!-- no-run: <reason> -->`` (see "Code blocks in the docs" in docs/contributing.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from nitro_doc_blocks import REPO_ROOT, RUNNER, Block, check_page, markdown_files, runner_input

PAGES = markdown_files()
#: Pages whose python talks to Redis: they get ``NITRO_REDIS_URL`` (a database of
#: their own on the session's redis-server).
NEEDS_REDIS = {"docs/redis.md", "packages/nitro-redis/README.md"}
_KEY = "a-test-secret-key-of-at-least-32-characters"
#: Settings a page's code reads from the environment (it says so next to the code).
PAGE_ENV: dict[str, dict[str, str]] = {
    "docs/auth.md": {
        "NITRO_SECRET_KEY": _KEY,
        "ANN_PASSWORD": "ann-password",
        "ED_PASSWORD": "ed-password",
        "SECRET_KEY": _KEY,
        "OIDC_CLIENT_ID": "shop",
        "OIDC_CLIENT_SECRET": "shop-secret",
    },
}
#: Seconds one run of a page's python blocks may take.
TIMEOUT = 120
#: Pages run side by side, this many at a time.
WORKERS = 3


def page_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def page_env(page: str, workdir: Path, redis_url: str | None) -> dict[str, str]:
    """The environment of a page's run: none of the developer's Nitro settings (the
    page's SQLite file lands in its empty working directory), plus what it needs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NITRO_", "OTEL_")) and key != "RUSTY_TAGS_DATASTAR_SRC"
    }
    env["NITRO_DATABASE_URL"] = f"sqlite:///{workdir / 'nitro.db'}"
    if redis_url is not None:
        env["NITRO_REDIS_URL"] = redis_url
    env.update(PAGE_ENV.get(page, {}))
    return env


def run_blocks(run: list[Block], workdir: Path, env: dict[str, str]) -> str | None:
    """Run one page's python blocks; return the failure's description or None."""
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [sys.executable, "-W", "error", str(RUNNER)],
            input=runner_input(run),
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{run[0].where}: the python blocks from here on took more than {TIMEOUT} s"
    if done.returncode == 0:
        return None
    where, _, error = done.stderr.partition("DOC-BLOCK-FAILED ")
    if not error:
        return f"{run[0].where}: the runner exited with {done.returncode}\n{done.stderr}"
    header, _, trace = error.partition("\n")
    location, _, raised = header.partition(" ")
    output = done.stdout[-2000:]
    shown = f"\n--- its output ---\n{output}" if output else ""
    return f"{location}: the python block raised {raised}\n{where}{trace}{shown}"


@pytest.fixture(scope="module")
def page_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, list[Future[str | None]] | str]]:
    """Start the python of every selected page at once, a few at a time; each test
    waits for its own page. A page that needs Redis where there is none gets the skip
    reason instead (under CI the redis_server fixture fails)."""
    selected = [
        item.callspec.params["page"]
        for item in request.session.items
        if item.path == Path(__file__) and hasattr(item, "callspec")
    ]
    redis_base: str | None = None
    no_redis = ""
    if any(page_id(page) in NEEDS_REDIS for page in selected):
        try:
            redis_base = request.getfixturevalue("redis_server").url.rsplit("/", 1)[0]
        except pytest.skip.Exception as skipped:
            no_redis = str(skipped) or "redis-server is not available"
    runs: dict[str, list[Future[str | None]] | str] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for number, page in enumerate(selected, start=1):
            name = page_id(page)
            redis_url = None
            if name in NEEDS_REDIS:
                if redis_base is None:
                    runs[name] = no_redis
                    continue
                redis_url = f"{redis_base}/{number % 16}"  # a database of its own
            futures: list[Future[str | None]] = []
            for index, run in enumerate(check_page(page).runs):
                workdir = tmp_path_factory.mktemp(name.replace("/", "-")) / str(index)
                env = page_env(name, workdir, redis_url)
                futures.append(pool.submit(run_blocks, run, workdir, env))
            runs[name] = futures
        yield runs
        for futures in runs.values():
            for future in futures if isinstance(futures, list) else ():
                future.cancel()


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_code_blocks(page: Path, page_runs: dict[str, list[Future[str | None]] | str]) -> None:
    name = page_id(page)
    checks = check_page(page)
    futures = page_runs[name]
    if isinstance(futures, str):
        if checks.runs:
            pytest.skip(f"{name} needs Redis: {futures}")
        futures = []
    problems = list(checks.problems)
    problems += [failure for future in futures if (failure := future.result())]
    assert not problems, f"{name}: {len(problems)} block(s) failed\n\n" + "\n\n".join(problems)


def test_every_page_is_collected() -> None:
    """The glob finds the guides, the tutorials and every README."""
    names = {page_id(page) for page in PAGES}
    assert {"README.md", "docs/contributing.md", "rustytags/README.md"} <= names
    assert {f"packages/{d.name}/README.md" for d in (REPO_ROOT / "packages").iterdir()} <= names
