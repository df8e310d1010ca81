"""The clause catalogue, outcome grading and expectation rules as pure functions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance import expectations as ex
from conformance.clauses import CLAUSES, clause_sort_key, grade_of

EXPECTED_IDS = (
    [f"CFG-{n}" for n in range(1, 9)] + [f"LBL-{n}" for n in range(1, 7)] + [f"ACL-{n}" for n in range(1, 5)]
    + ["ECHO-1"] + [f"STORE-{n}" for n in range(1, 6)] + [f"FIND-{n}" for n in range(1, 8)]
    + [f"MOVE-{n}" for n in range(1, 8)] + ["ISO-1", "ISO-2"]
)
SPEC = Path(__file__).resolve().parents[2] / "docs" / "SPEC.md"  # the copy of ../shared/SPEC.md (.ci/run checks it)


def test_the_catalogue_has_every_clause_in_spec_order() -> None:
    assert sorted(CLAUSES, key=clause_sort_key) == EXPECTED_IDS
    assert all(c.text and c.title and c.section for c in CLAUSES.values())
    variants = {c.id: c.alternatives for c in CLAUSES.values() if c.grade == "variant"}
    assert variants == {
        "LBL-5": ("none-empty=all", "none-empty=unlabelled"), "FIND-4": ("orthanc", "dicom"),
        "FIND-7": ("orthanc<=1.12", "orthanc>=1.13"), "MOVE-4": ("orthanc", "dicom"),
        "MOVE-5": ("orthanc", "dicom"), "MOVE-6": ("orthanc", "dicom"),
    }


def test_grades_agree_with_spec_md() -> None:
    declared = dict(re.findall(r"\*\*([A-Z]+-\d+) (core|compat|variant)\*\*", SPEC.read_text()))
    assert {cid: c.grade for cid, c in CLAUSES.items()} == declared


def test_grade_of_takes_the_strongest() -> None:
    assert grade_of(["FIND-4", "FIND-6"]) == "compat"
    assert grade_of(["MOVE-5", "MOVE-1"]) == "core"
    assert grade_of(["MOVE-5"]) == "variant"
    with pytest.raises(KeyError):
        grade_of(["NOPE-1"])


@pytest.mark.parametrize(("facts", "outcome"), [
    ({}, "PASS"),
    ({"call_failed": True}, "FAIL"),
    ({"call_failed": True, "grade": "compat"}, "DEVIATION"),
    ({"call_failed": True, "grade": "variant"}, "FAIL"),
    ({"call_failed": True, "harness_broke": True, "grade": "compat"}, "ERROR"),
    ({"setup_failed": True}, "ERROR"),
    ({"teardown_failed": True}, "ERROR"),
    ({"skipped": True}, "SKIP"),
    ({"variants": {"MOVE-5": "orthanc", "MOVE-6": "orthanc"}}, "VARIANT-orthanc"),
    ({"variants": {"LBL-5": "none-empty=all", "FIND-7": "orthanc<=1.12"}},
     "VARIANT-orthanc<=1.12+none-empty=all"),
])
def test_grade_outcome(facts: dict[str, object], outcome: str) -> None:
    base: dict[str, object] = {"grade": "core", "setup_failed": False, "call_failed": False,
                               "teardown_failed": False, "skipped": False, "harness_broke": False,
                               "variants": {}}
    assert ex.grade_outcome(**{**base, **facts}) == outcome  # type: ignore[arg-type]


def test_lookup_order_exact_then_longest_pattern_then_clause_then_default() -> None:
    expectations = ex.parse_expectations({
        "tests": {
            "t.py::test_x[ALL_AB]": {"outcome": "FAIL", "reason": "exact"},
            "t.py::test_x*": {"outcome": "DEVIATION", "reason": "short pattern"},
            "t.py::test_x[*]": {"outcome": "ERROR", "reason": "long pattern"},
        },
        "clauses": {"FIND-6": {"outcome": ["DEVIATION", "PASS"], "reason": "by clause"}},
    })
    assert expectations.lookup("t.py::test_x[ALL_AB]", ["FIND-1"]).reason == "exact"
    assert expectations.lookup("t.py::test_x[ANY_AB]", ["FIND-1"]).reason == "long pattern"
    assert expectations.lookup("t.py::test_xy", ["FIND-1"]).reason == "short pattern"
    assert expectations.lookup("t.py::test_y", ["FIND-1", "FIND-6"]).reason == "by clause"
    assert expectations.lookup("t.py::test_y", ["FIND-1"]).outcomes == ("PASS",)
    assert expectations.lookup("t.py::test_y", ["FIND-4"]).outcomes == ("VARIANT-*", "PASS")
    claimed = expectations.lookup("t.py::test_y", ["FIND-4"], claimed_variants={"FIND-4": "dicom"})
    assert claimed.outcomes == ("VARIANT-dicom",)


@pytest.mark.parametrize(("outcome", "expected", "verdict"), [
    ("FAIL", ("FAIL",), ex.Verdict.AS_EXPECTED),
    ("PASS", ("DEVIATION",), ex.Verdict.UNEXPECTED_PASS),
    ("VARIANT-dicom", ("FAIL",), ex.Verdict.UNEXPECTED_PASS),
    ("DEVIATION", ("PASS",), ex.Verdict.UNEXPECTED_FAILURE),
    ("ERROR", ("VARIANT-*",), ex.Verdict.UNEXPECTED_FAILURE),
    ("ERROR", ("FAIL",), ex.Verdict.UNEXPECTED_OUTCOME),
    ("VARIANT-dicom", ("VARIANT-orthanc",), ex.Verdict.UNEXPECTED_OUTCOME),
    ("VARIANT-dicom", ("VARIANT-*",), ex.Verdict.AS_EXPECTED),
    ("SKIP", ("PASS",), ex.Verdict.AS_EXPECTED),
])
def test_judge(outcome: str, expected: tuple[str, ...], verdict: ex.Verdict) -> None:
    assert ex.judge(outcome, ex.Expectation(expected)) is verdict


@pytest.mark.parametrize(("document", "error"), [
    ({"tests": {"a": {"outcome": "FAIL"}}}, "every expectation needs a reason"),
    ({"tests": {"a": {"outcome": "NOPE", "reason": "r"}}}, "unknown outcome"),
    ({"tests": {"a": {"outcome": "FAIL", "reason": "r", "clause": "X-1"}}}, "unknown clause"),
    ({"clauses": {"X-1": {"outcome": "FAIL", "reason": "r"}}}, "unknown clause"),
    ({"other": {}}, "unknown top-level"),
])
def test_malformed_expectations_are_named(document: dict[str, object], error: str) -> None:
    with pytest.raises(ex.ExpectationError, match=error):
        ex.parse_expectations(document)


@pytest.mark.parametrize("impl", ["reference", "orthanc", "orthanc-1.13"])
def test_committed_expectation_files_parse(impl: str) -> None:
    path = ex.expectations_path_for(impl)
    assert path is not None and path.exists()
    expectations = ex.load_expectations(path)
    if impl == "reference":
        assert ex.entries_count(expectations) == 0  # the reference must pass everything
