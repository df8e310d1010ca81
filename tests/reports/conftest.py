"""Helpers for the report plugin's pytester tests: tiny fake conformance test files and report readers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "conformance" / "report.schema.json"

#: A fake conformance test file: one test per graded outcome, no target needed.
FAKE_SUITE = '''
import pytest
from conformance.errors import HarnessError


@pytest.mark.clause("ECHO-1")
def test_core_pass():
    assert 1 + 1 == 2


@pytest.mark.clause("FIND-1")
def test_core_fail():
    assert [1] == [], "tenant ALL_AB saw an invisible study"


@pytest.mark.clause("FIND-6")
def test_compat_fail():
    assert "" == "ISO_IR 100", "SpecificCharacterSet missing"


@pytest.mark.clause("FIND-4")
def test_variant(record_variant):
    record_variant("FIND-4", "orthanc")


@pytest.mark.clause("STORE-1")
def test_harness_breaks():
    raise HarnessError("POST /instances -> HTTP 500")


@pytest.mark.clause("MOVE-1")
def test_skipped():
    pytest.skip("target declares no main DICOM server")
'''


def _read_report(directory: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((directory / "conformance.json").read_text(encoding="utf-8"))
    return document


ReadReport = Callable[[], dict[str, Any]]


@pytest.fixture
def read_report(pytester: pytest.Pytester) -> ReadReport:
    """Read the JSON report the inner run wrote into ``out/`` (the tests pass ``--report-dir out``)."""
    return lambda: _read_report(pytester.path / "out")


@pytest.fixture
def outcomes(read_report: ReadReport) -> Callable[[], dict[str, str]]:
    """test function name (with parameters) -> graded outcome, from the inner run's JSON report."""
    return lambda: {t["nodeid"].split("::")[-1]: t["outcome"] for t in read_report()["tests"]}


@pytest.fixture(autouse=True)
def _keep_hypothesis_profile() -> Iterator[None]:
    """Inner in-process runs may load the suite's 'quick' profile: restore the outer run's profile."""
    name = settings.get_current_profile_name()
    yield
    settings.load_profile(name)


@pytest.fixture
def fake_suite(pytester: pytest.Pytester) -> Path:
    return pytester.makepyfile(test_fake_suite=FAKE_SUITE)
