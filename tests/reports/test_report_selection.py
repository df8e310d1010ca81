"""--clause selects tests by clause pattern; --list-clauses lists the catalogue and runs nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

Outcomes = Callable[[], dict[str, str]]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--report-dir", "out", *args)


def test_clause_pattern_selects_and_deselects(pytester: pytest.Pytester, fake_suite: Path,
                                              outcomes: Outcomes) -> None:
    result = _run(pytester, "--clause=FIND-*")
    result.assert_outcomes(passed=1, failed=2, deselected=3)
    assert set(outcomes()) == {"test_core_fail", "test_compat_fail", "test_variant"}


def test_clause_option_is_repeatable(pytester: pytest.Pytester, fake_suite: Path, outcomes: Outcomes) -> None:
    result = _run(pytester, "--clause=ECHO-1", "--clause=MOVE-?")
    result.assert_outcomes(passed=1, skipped=1, deselected=4)
    assert outcomes() == {"test_core_pass": "PASS", "test_skipped": "SKIP"}


def test_a_clause_pattern_matching_nothing_is_a_usage_error(pytester: pytest.Pytester,
                                                            fake_suite: Path) -> None:
    result = _run(pytester, "--clause=NOPE-*")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--clause=NOPE-*: matches no clause of the catalogue*"])


def test_list_clauses_lists_and_runs_nothing(pytester: pytest.Pytester, fake_suite: Path) -> None:
    pytester.makepyfile(test_sentinel='''
        import pathlib
        import pytest

        @pytest.mark.clause("FIND-1", "MOVE-1")
        def test_writes_a_file():
            pathlib.Path("ran.txt").write_text("ran")
    ''')
    result = _run(pytester, "--list-clauses")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([
        "== 6. C-FIND through a tenant",
        "FIND-1 (core) Find isolation: 2 test(s)",
        "    - test_fake_suite.py::test_core_fail",
        "    - test_sentinel.py::test_writes_a_file",
        "FIND-4 (variant) Level names [[]orthanc | dicom[]]: 1 test(s)",
        "ISO-2 (core) Robustness: 0 test(s)",
        "6 of 40 clauses covered by 7 test(s)",
    ])
    assert not (pytester.path / "ran.txt").exists()
    assert not (pytester.path / "out").exists()
    result.assert_outcomes()


def test_list_clauses_honours_clause_selection(pytester: pytest.Pytester, fake_suite: Path) -> None:
    result = _run(pytester, "--list-clauses", "--clause=ECHO-1")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["ECHO-1 (core) Echo succeeds: 1 test(s)",
                                 "FIND-1 (core) Find isolation: 0 test(s)"])
