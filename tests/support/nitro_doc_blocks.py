"""The fenced code blocks of the docs and READMEs, and how ``tests/test_docs_code.py``
checks each one (see "Code blocks in the docs" in docs/contributing.md).

- ``python``: run. All python blocks of one page run in order in one namespace, in one
  fresh interpreter (``-W error``) in an empty directory, with ``__name__`` not
  ``"__main__"``.
  ``<!-- run: fresh -->`` on the line before a block starts a new interpreter there.
- ``toml``, ``json`` (or JSON Lines), ``yaml``, ``html``, ``sql``: parsed.
- ``text``: output or a diagram, shown as is (must not be empty).
- a block whose body is only ``--8<-- "path"`` lines includes a tested file: the file
  (and the ``:section`` named) must exist.
- ``<!-- no-run: <reason> -->`` on the line before a block: not run (reason required).
  Shell blocks (``bash``, ``console``, ``sh``) and blocks of any other or no language
  must carry it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import html5lib
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
#: What the runner reads (see nitro_doc_runner.py).
RUNNER = Path(__file__).resolve().parent / "nitro_doc_runner.py"

PARSED = ("toml", "json", "yaml", "yml", "html", "sql")
SHOWN = ("text",)
SHELL = ("bash", "console", "sh", "shell")

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>no-run|run)\b\s*:?(?P<value>.*?)-->\s*$")
_SNIPPET = re.compile(r"^\s*;?-{1,2}8<-{1,2}\s+(?P<quote>[\"'])(?P<path>.+?)(?P=quote)\s*$")


def markdown_files() -> list[Path]:
    """Every page whose code blocks are tested: docs/**/*.md and every README."""
    patterns = (
        "docs/**/*.md",
        "README.md",
        "packages/*/README.md",
        "rustytags/README.md",
        "examples/*/README.md",
    )
    found = {path for pattern in patterns for path in REPO_ROOT.glob(pattern)}
    return sorted(found)


@dataclass
class Block:
    path: Path  # the markdown file
    line: int  # 1-based line of the opening fence
    lang: str  # lower-case, "" when the fence has none
    body: str  # dedented by the fence's indentation
    marker: str | None = None  # "no-run" or "run" (the comment on the line before)
    marker_value: str = ""  # the no-run reason, or "fresh"

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO_ROOT)}:{self.line}"

    @property
    def snippet_paths(self) -> list[str] | None:
        """The included paths, when the body is only ``--8<-- "path"`` lines."""
        lines = [line for line in self.body.splitlines() if line.strip()]
        matches = [_SNIPPET.match(line) for line in lines]
        if not lines or not all(matches):
            return None
        return [match.group("path") for match in matches if match]


def parse_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opened = _OPEN.match(lines[index])
        if not opened:
            index += 1
            continue
        indent, fence = opened.group("indent"), opened.group("fence")
        info = opened.group("info").strip()
        lang = info.split()[0].strip("{}.").lower() if info else ""
        end = index + 1
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body_lines = [
            line[len(indent) :] if line.startswith(indent) else line.lstrip()
            for line in lines[index + 1 : end]
        ]
        block = Block(path, index + 1, lang, textwrap.dedent("\n".join(body_lines)) + "\n")
        marker = _MARKER.match(lines[index - 1]) if index > 0 else None
        if marker:
            block.marker = marker.group("kind")
            block.marker_value = marker.group("value").strip()
        blocks.append(block)
        index = end + 1
    return blocks


@dataclass
class PageChecks:
    """What the checks of one page found, besides running its python."""

    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: Python blocks to run, split into runs by ``<!-- run: fresh -->``.
    runs: list[list[Block]] = field(default_factory=list)

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1


def check_page(path: Path) -> PageChecks:
    """Check every block of *path* except running its python (returned in ``runs``)."""
    checks = PageChecks()
    current: list[Block] = []
    for block in parse_blocks(path):
        if block.marker == "no-run":
            if not block.marker_value:
                checks.problems.append(
                    f"{block.where}: the no-run marker needs a reason: <!-- no-run: <reason> -->"
                )
            checks.count("no-run")
            continue
        if block.marker == "run" and (block.marker_value != "fresh" or block.lang != "python"):
            checks.problems.append(
                f"{block.where}: '<!-- run: {block.marker_value} -->' is not a marker here: "
                "'<!-- run: fresh -->' goes before a python block; '<!-- no-run: <reason> -->' "
                "before any block"
            )
            continue
        included = block.snippet_paths
        if included is not None:
            for name in included:
                problem = _snippet_problem(name)
                if problem:
                    checks.problems.append(f"{block.where}: {problem}")
            checks.count("included")
            continue
        if block.lang == "python":
            if block.marker == "run" and current:
                checks.runs.append(current)
                current = []
            current.append(block)
            checks.count("executed")
            continue
        problem = _parse_problem(block)
        if problem:
            checks.problems.append(f"{block.where}: {problem}")
        elif block.lang in PARSED:
            checks.count("parsed")
        elif block.lang in SHOWN:
            checks.count("shown")
    if current:
        checks.runs.append(current)
    return checks


def _snippet_problem(name: str) -> str | None:
    """Why pymdownx.snippets would not include *name* (``path``, ``path:section``,
    ``path:start:end``; paths from the repository root, its ``base_path``), or None."""
    if (REPO_ROOT / name).is_file():
        return None
    path, _, selector = name.partition(":")
    if not (REPO_ROOT / path).is_file():
        return f"the included file {path} does not exist"
    if selector.replace(":", "").isdigit():
        return None
    text = (REPO_ROOT / path).read_text(encoding="utf-8")
    if f"--8<-- [start:{selector}]" not in text or f"--8<-- [end:{selector}]" not in text:
        return f"{path} has no section {selector!r} (--8<-- [start:{selector}] ... [end:...])"
    return None


def _parse_problem(block: Block) -> str | None:
    """Why a non-python block is wrong, or None."""
    body, lang = block.body, block.lang
    if lang in SHELL:
        return (
            f"a {lang} block is not run: mark it with <!-- no-run: <reason> --> on the line "
            "before the fence"
        )
    if lang not in PARSED and lang not in SHOWN:
        what = f"language {lang!r}" if lang else "no language"
        return (
            f"a block with {what} is not checked: give it a known language (python, toml, "
            "json, yaml, html, sql, text) or mark it <!-- no-run: <reason> -->"
        )
    if not body.strip():
        return f"the {lang} block is empty"
    try:
        if lang == "toml":
            tomllib.loads(body)
        elif lang == "json":
            _parse_json(body)
        elif lang in ("yaml", "yml"):
            list(yaml.safe_load_all(body))
        elif lang == "html":
            parser = html5lib.HTMLParser(strict=True)
            if body.lstrip().lower().startswith("<!doctype"):
                parser.parse(body)
            else:
                parser.parseFragment(body)
        elif lang == "sql":
            _check_sql(body)
    except Exception as error:
        return f"the {lang} block does not parse: {type(error).__name__}: {error}"
    return None


def _parse_json(body: str) -> None:
    """One JSON document, or JSON Lines (one document per line)."""
    try:
        json.loads(body)
    except json.JSONDecodeError:
        for line in body.splitlines():
            if line.strip():
                json.loads(line)


def _check_sql(body: str) -> None:
    """SQLite's parser: a syntax error fails, an unknown table or column does not."""
    with sqlite3.connect(":memory:") as connection:
        for statement in _statements(body):
            try:
                connection.execute(f"EXPLAIN {statement}")
            except sqlite3.OperationalError as error:
                if not str(error).startswith(("no such table", "no such column")):
                    raise


def _statements(body: str) -> list[str]:
    statements, pending = [], ""
    for line in body.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().rstrip(";"))
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def runner_input(run: list[Block]) -> str:
    """The JSON the runner reads on stdin: each block's file, line and source."""
    return json.dumps(
        [
            {
                "path": str(block.path),
                "where": block.where,
                "line": block.line,
                "source": block.body,
            }
            for block in run
        ]
    )
