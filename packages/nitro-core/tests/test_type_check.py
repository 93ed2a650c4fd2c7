"""The public entity API type-checks in user code (tests/type_check/, mypy --strict)."""

from pathlib import Path

from nitro_typecheck import assert_strict_mypy_passes


def test_user_code_type_checks_strictly(tmp_path: Path) -> None:
    assert_strict_mypy_passes(Path(__file__).parent / "type_check", tmp_path / "mypy-cache")
