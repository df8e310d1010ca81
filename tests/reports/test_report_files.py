"""The report files: JSON valid against the committed schema, JUnit XML, HTML, Markdown, terminal table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.clauses import CLAUSES

pytest_plugins = ["pytester"]

ReadReport = Callable[[], dict[str, Any]]
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "conformance" / "report.schema.json").read_text())


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--report-dir", "out", *args)


def test_the_json_report_validates_against_the_schema(pytester: pytest.Pytester, fake_suite: Path,
                                                      read_report: ReadReport) -> None:
    _run(pytester, "--hypothesis-seed=1234")
    report = read_report()
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)
    assert report["run"]["hypothesis"]["seed"] == "1234"
    assert report["run"]["exit_status"] == int(pytest.ExitCode.TESTS_FAILED)
    assert report["summary"] == {
        "total": 6,
        "by_outcome": {"DEVIATION": 1, "ERROR": 1, "FAIL": 1, "PASS": 1, "SKIP": 1, "VARIANT-orthanc": 1},
        "unexpected": 3,
        "gate": "fail",
    }
    assert [row["id"] for row in report["clauses"]][:3] == ["FIND-1", "STORE-1", "FIND-6"]  # failures first
    assert {row["id"] for row in report["clauses"]} == set(CLAUSES)
    repro = {t["nodeid"].split("::")[-1]: t["repro"] for t in report["tests"]}
    assert repro["test_core_fail"].startswith("pytest test_fake_suite.py::test_core_fail ")
    assert "--hypothesis-seed=1234" in repro["test_core_fail"]


def test_the_schema_rejects_a_broken_report(pytester: pytest.Pytester, fake_suite: Path,
                                            read_report: ReadReport) -> None:
    _run(pytester)
    report = read_report()
    report["tests"][0]["outcome"] = "MAYBE"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, SCHEMA)


def test_junit_html_and_markdown_are_written(pytester: pytest.Pytester, fake_suite: Path) -> None:
    result = _run(pytester)
    out = pytester.path / "out"
    suite = ET.parse(out / "conformance.junit.xml").getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "6", "2", "1", "1")
    failure = suite.find("testcase[@name='test_core_fail']/failure")
    assert failure is not None and "invisible study" in (failure.text or "")
    page = (out / "conformance.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "tenant ALL_AB saw an invisible study" in page
    markdown = (out / "conformance.md").read_text()
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "-" in line.split("|")[1]]
    assert rows[0].startswith("| FIND-1 | core | FAIL |")
    assert CLAUSES["FIND-1"].text in rows[0]
    result.stdout.fnmatch_lines([
        "*multitenant DICOM conformance: clauses*",
        "FIND-1 * core * FAIL (!)*",
        "gate: FAIL (6 tests, 3 unexpected*",
        f"report: {out / 'conformance.json'}",
        f"report: {out / 'conformance.md'}",
    ])


def test_the_report_dir_defaults_to_reports_under_rootdir(pytester: pytest.Pytester,
                                                          fake_suite: Path) -> None:
    pytester.runpytest("-p", "no:cacheprovider")
    assert sorted(p.name for p in (pytester.path / "reports").iterdir()) == [
        "conformance.html", "conformance.json", "conformance.junit.xml", "conformance.md"]


def test_a_hypothesis_seed_is_drawn_reported_and_restored(pytester: pytest.Pytester,
                                                          read_report: ReadReport) -> None:
    pytester.makepyfile(test_drawn='''
        import pytest
        from hypothesis import given, strategies as st

        @pytest.mark.clause("LBL-1")
        @given(st.text(max_size=3))
        def test_labels(label):
            assert len(label) <= 3
    ''')
    from hypothesis import core
    before = core.global_force_seed
    _run(pytester).assert_outcomes(passed=1)
    assert core.global_force_seed == before  # the inner run's seed does not leak
    report = read_report()
    seed = report["run"]["hypothesis"]["seed"]
    assert seed is not None and seed.isdigit()
    assert report["tests"][0]["repro"].endswith(f"--hypothesis-seed={seed}")
