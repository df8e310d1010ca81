"""The expectation gate: pytest's exit code is 0 iff every graded outcome is as expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

EXPECT_ALL_FAILURES = '''
[tests."test_fake_suite.py::test_core_fail"]
outcome = "FAIL"
clause = "FIND-1"
reason = "known isolation bug"
link = "https://example.invalid/issue/1"

[tests."test_fake_suite.py::test_compat_*"]
outcome = "DEVIATION"
reason = "answers lack SpecificCharacterSet"

[clauses."STORE-1"]
outcome = "ERROR"
reason = "admin API returns 500 on this target"
'''


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--report-dir", "out", *args)


Outcomes = Callable[[], dict[str, str]]
ReadReport = Callable[[], dict[str, Any]]


def test_graded_outcomes_of_every_kind(pytester: pytest.Pytester, fake_suite: Path,
                                       outcomes: Outcomes) -> None:
    result = _run(pytester)
    assert outcomes() == {
        "test_core_pass": "PASS",
        "test_core_fail": "FAIL",
        "test_compat_fail": "DEVIATION",
        "test_variant": "VARIANT-orthanc",
        "test_harness_breaks": "ERROR",
        "test_skipped": "SKIP",
    }
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_expected_failures_do_not_fail_the_gate(pytester: pytest.Pytester, fake_suite: Path,
                                                read_report: ReadReport) -> None:
    pytester.makefile(".toml", expect=EXPECT_ALL_FAILURES)
    result = _run(pytester, "--expectations", "expect.toml")
    result.assert_outcomes(passed=2, xfailed=3, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    report = read_report()
    assert report["summary"]["gate"] == "pass"
    assert all(t["as_expected"] for t in report["tests"])
    by_name = {t["nodeid"].split("::")[-1]: t for t in report["tests"]}
    assert by_name["test_core_fail"]["expectation_reason"] == "known isolation bug"
    assert by_name["test_compat_fail"]["expectation_key"] == "tests.'test_fake_suite.py::test_compat_*'"
    assert by_name["test_harness_breaks"]["expectation_key"] == "clauses.STORE-1"
    result.stdout.no_fnmatch_line("*matched no test*")


def test_entries_matching_no_test_are_named(pytester: pytest.Pytester, fake_suite: Path) -> None:
    pytester.makefile(".toml", expect=EXPECT_ALL_FAILURES + '''
[tests."test_fake_suite.py::test_renamed_long_ago"]
outcome = "FAIL"
reason = "stale"
''')
    result = _run(pytester, "--expectations", "expect.toml")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["expectation entries that matched no test (stale?): "
                                 "tests.'test_fake_suite.py::test_renamed_long_ago'"])


def test_an_unexpected_failure_fails_the_gate(pytester: pytest.Pytester, fake_suite: Path) -> None:
    pytester.makefile(".toml", expect=EXPECT_ALL_FAILURES.replace('outcome = "FAIL"', 'outcome = "PASS"'))
    result = _run(pytester, "--expectations", "expect.toml")
    result.assert_outcomes(passed=2, failed=1, xfailed=2, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*UNEXPECTED FAIL: test_fake_suite.py::test_core_fail got FAIL, "
                                 "expectation says PASS (known isolation bug*"])


def test_an_unexpected_pass_fails_the_gate(pytester: pytest.Pytester, read_report: ReadReport) -> None:
    pytester.makepyfile(test_fixed='''
        import pytest

        @pytest.mark.clause("FIND-6")
        def test_now_conforms():
            assert True
    ''')
    pytester.makefile(".toml", expect='''
        [tests."test_fixed.py::test_now_conforms"]
        outcome = "DEVIATION"
        clause = "FIND-6"
        reason = "Orthanc omits empty keys"
    ''')
    result = _run(pytester, "--expectations", "expect.toml")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*UNEXPECTED PASS: test_fixed.py::test_now_conforms got PASS, "
                                 "expectation says DEVIATION (Orthanc omits empty keys)*"])
    test = read_report()["tests"][0]
    assert (test["outcome"], test["verdict"]) == ("PASS", "UNEXPECTED_PASS")


def test_a_variant_other_than_the_claimed_one_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_levels='''
        import pytest

        @pytest.mark.clause("FIND-4")
        def test_image_level(record_variant):
            record_variant("FIND-4", "dicom")
    ''')
    result = _run(pytester, "--impl=orthanc")  # Orthanc 1.12 claims FIND-4 = orthanc
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*UNEXPECTED VARIANT-dicom: *test_image_level got VARIANT-dicom, "
                                 "expectation says VARIANT-orthanc*"])


def test_a_setup_error_is_error_and_can_be_expected(pytester: pytest.Pytester, outcomes: Outcomes) -> None:
    pytester.makepyfile(test_setup='''
        import pytest

        @pytest.fixture
        def seeded():
            raise RuntimeError("could not seed the archive")

        @pytest.mark.clause("MOVE-2")
        def test_needs_seed(seeded):
            pass
    ''')
    result = _run(pytester)
    result.assert_outcomes(errors=1)
    assert outcomes() == {"test_needs_seed": "ERROR"}
    pytester.makefile(".toml", expect='''
        [clauses."MOVE-2"]
        outcome = "ERROR"
        reason = "seeding is not supported by this target"
    ''')
    result = _run(pytester, "--expectations", "expect.toml")
    result.assert_outcomes(xfailed=1)
    assert result.ret == pytest.ExitCode.OK


def test_a_malformed_expectation_file_is_a_usage_error(pytester: pytest.Pytester, fake_suite: Path) -> None:
    pytester.makefile(".toml", expect='''
        [tests."test_fake_suite.py::test_core_fail"]
        outcome = "BROKEN"
        reason = "x"
    ''')
    result = _run(pytester, "--expectations", "expect.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown outcome 'BROKEN'*"])


def test_the_plugin_is_inert_without_conformance_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain='''
        def test_ordinary():
            assert 1 + 1 == 2
    ''')
    result = _run(pytester)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    assert not (pytester.path / "out").exists()
    result.stdout.no_fnmatch_line("*conformance: clauses*")


def test_an_interrupted_run_still_writes_its_report(pytester: pytest.Pytester,
                                                    read_report: ReadReport) -> None:
    pytester.makepyfile(test_interrupt='''
        import pytest

        @pytest.mark.clause("ECHO-1")
        def test_first():
            pass

        @pytest.mark.clause("ISO-2")
        def test_interrupted():
            raise KeyboardInterrupt

        @pytest.mark.clause("ISO-1")
        def test_never_run():
            pass
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--report-dir", "out")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    tests = {t["nodeid"].split("::")[-1]: t for t in read_report()["tests"]}
    assert tests["test_first"]["outcome"] == "PASS"
    assert tests["test_interrupted"]["outcome"] == "ERROR"
    assert tests["test_interrupted"]["message"] == "run interrupted (exit status 2)"
    assert tests["test_interrupted"]["verdict"] == "UNEXPECTED_FAILURE"
    assert "test_never_run" not in tests


@pytest.mark.parametrize(("impl", "filename"), [
    ("reference", "reference.toml"), ("orthanc", "orthanc-1.12.toml"), ("orthanc-1.13", "orthanc-1.13.toml"),
])
def test_the_expectation_file_follows_impl(pytester: pytest.Pytester, read_report: ReadReport,
                                           impl: str, filename: str) -> None:
    pytester.makepyfile(test_one='''
        import pytest

        @pytest.mark.clause("ECHO-1")
        def test_echo():
            pass
    ''')
    result = _run(pytester, f"--impl={impl}")
    assert result.ret == pytest.ExitCode.OK
    used = read_report()["run"]["expectations"]
    assert used is not None and Path(used).name == filename
    assert Path(used).parent.name == "expectations"
