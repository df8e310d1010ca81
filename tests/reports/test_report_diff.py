"""The regression diff of two known reports gives the known answer, as text, Markdown and exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.diff import categorize, diff_reports, main, render_markdown
from conformance.reporting import RunFacts, TestFacts, build_report


def _report(impl: str, version: str, outcomes: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, Any]:
    run = RunFacts(target={"impl": impl, "version": version}, suite_version="0.1.0", git_revision=None,
                   hypothesis_seed="0", hypothesis_profile="quick", started="2026-01-01T00:00:00+00:00",
                   finished="2026-01-01T00:01:00+00:00", duration=60.0, command="pytest conformance/",
                   expectations=None, exit_status=0)
    tests = [TestFacts(nodeid=nodeid, clauses=clauses, grade="core", outcome=outcome, expected=("PASS",),
                       verdict="AS_EXPECTED") for nodeid, (outcome, clauses) in outcomes.items()]
    return build_report(run, tests)


OLD = _report("orthanc", "1.12.7", {
    "find/test_a.py::test_same": ("PASS", ("FIND-1",)),
    "find/test_a.py::test_breaks": ("PASS", ("FIND-1", "FIND-2")),
    "find/test_a.py::test_worse": ("DEVIATION", ("FIND-6",)),
    "find/test_a.py::test_fixed": ("FAIL", ("FIND-5",)),
    "find/test_a.py::test_charset": ("VARIANT-orthanc<=1.12", ("FIND-7",)),
    "iso/test_b.py::test_gone": ("FAIL", ("ISO-2",)),
    "move/test_c.py::test_harness": ("FAIL", ("MOVE-1",)),
})
NEW = _report("orthanc-1.13", "1.13.0", {
    "find/test_a.py::test_same": ("PASS", ("FIND-1",)),
    "find/test_a.py::test_breaks": ("FAIL", ("FIND-1", "FIND-2")),
    "find/test_a.py::test_worse": ("FAIL", ("FIND-6",)),
    "find/test_a.py::test_fixed": ("PASS", ("FIND-5",)),
    "find/test_a.py::test_charset": ("VARIANT-orthanc>=1.13", ("FIND-7",)),
    "move/test_c.py::test_harness": ("ERROR", ("MOVE-1",)),
    "store/test_d.py::test_new": ("PASS", ("STORE-1",)),
})


@pytest.mark.parametrize(("old", "new", "category"), [
    ("PASS", "PASS", None), ("PASS", "FAIL", "regressed"), ("VARIANT-dicom", "ERROR", "regressed"),
    ("DEVIATION", "FAIL", "regressed"), ("FAIL", "DEVIATION", "changed"), ("ERROR", "PASS", "fixed"),
    ("VARIANT-orthanc", "VARIANT-dicom", "variant_changed"), ("PASS", "SKIP", "changed"),
    (None, "FAIL", "added"), ("PASS", None, "removed"),
])
def test_categories(old: str | None, new: str | None, category: str | None) -> None:
    assert categorize(old, new) == category


def test_the_diff_of_two_known_reports() -> None:
    diff = diff_reports(OLD, NEW)
    found = {(c.category, c.nodeid.split("::")[-1], c.old, c.new) for c in diff.changes}
    assert found == {
        ("regressed", "test_breaks", "PASS", "FAIL"),
        ("regressed", "test_worse", "DEVIATION", "FAIL"),
        ("fixed", "test_fixed", "FAIL", "PASS"),
        ("variant_changed", "test_charset", "VARIANT-orthanc<=1.12", "VARIANT-orthanc>=1.13"),
        ("changed", "test_harness", "FAIL", "ERROR"),
        ("removed", "test_gone", "FAIL", None),
        ("added", "test_new", None, "PASS"),
    }
    assert diff.unchanged == 1
    assert diff.regressed
    assert (diff.old_label, diff.new_label) == ("orthanc 1.12.7", "orthanc-1.13 1.13.0")
    by_clause = diff.by_clause()
    assert list(by_clause) == ["STORE-1", "FIND-1", "FIND-2", "FIND-5", "FIND-6", "FIND-7", "MOVE-1", "ISO-2"]
    assert [c.nodeid for c in by_clause["FIND-2"]] == ["find/test_a.py::test_breaks"]


def test_markdown_for_a_pr_comment() -> None:
    text = render_markdown(diff_reports(OLD, NEW))
    assert text.startswith("### Conformance diff: orthanc 1.12.7 → orthanc-1.13 1.13.0")
    assert ("❌ **Regression** — 2 regressed, 1 fixed, 1 variant changed, 1 changed, 1 added, 1 removed"
            in text)
    assert "| FIND-1, FIND-2 | `find/test_a.py::test_breaks` | PASS | FAIL |" in text


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(NEW))
    assert main([str(old), str(new)]) == 1
    assert "verdict: REGRESSION" in capsys.readouterr().out
    assert main([str(new), str(new), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "✅ **No regression**" in out and f"({new})" in out  # same target: file names disambiguate
    assert main([str(old), str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
