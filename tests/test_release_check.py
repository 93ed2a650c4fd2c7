"""The release workflow releases exactly the distribution its tag names."""

import importlib.util
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "release_check", REPO_ROOT / "scripts" / "release_check.py"
)
release_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release_check)


def test_tag_resolves_to_its_package():
    outputs = release_check.check("nitro-sql-v0.1.0")
    assert outputs == {
        "name": "nitro-sql",
        "version": "0.1.0",
        "path": "packages/nitro-sql",
        "kind": "hatchling",
    }


def test_rusty_tags_is_built_with_maturin():
    assert release_check.check("rusty-tags-v0.8.0")["kind"] == "maturin"


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("nitro-sql-v9.9.9", "says 9.9.9 but nitro-sql/pyproject.toml says 0.1.0"),
        ("nitro-nope-v0.1.0", "'nitro-nope', which is not one of"),
        ("v0.1.0", "is not of the form"),
        ("nitro-sql-0.1.0", "is not of the form"),
    ],
)
def test_bad_tags_are_refused_with_the_reason(tag, message):
    with pytest.raises(release_check.ReleaseError, match=message):
        release_check.check(tag)


def test_cargo_version_must_match_for_rusty_tags(tmp_path):
    (tmp_path / "packages").mkdir()
    crate = tmp_path / "rustytags"
    crate.mkdir()
    (crate / "pyproject.toml").write_text('[project]\nname = "rusty-tags"\nversion = "1.0.0"\n')
    (crate / "Cargo.toml").write_text('[package]\nname = "rusty-tags"\nversion = "0.9.0"\n')
    (crate / "CHANGELOG.md").write_text("## 1.0.0\n")
    with pytest.raises(release_check.ReleaseError, match=r"Cargo\.toml says 0\.9\.0"):
        release_check.check("rusty-tags-v1.0.0", root=tmp_path)


def test_main_prints_github_outputs(capsys):
    assert release_check.main(["nitro-core-v0.1.0"]) == 0
    assert "path=packages/nitro-core\n" in capsys.readouterr().out
    assert release_check.main(["nitro-core-v0.0.1"]) == 1
