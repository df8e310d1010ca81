"""Graded outcomes and expectation files: what a result means, and whether it was expected.

Strategy: a test result is first *graded* from plain facts (which phase failed, whether the harness
broke, the grade of its clauses, the variant alternatives it recorded) into one outcome of a fixed
vocabulary: PASS, FAIL (core), DEVIATION (compat), VARIANT-<alternative>, ERROR (harness or fixture),
SKIP. Then the outcome is *judged* against the expectation for the test: an entry of the
implementation's TOML file (by exact node id, then node id pattern, then clause ID) or, without an
entry, the default (PASS, or any VARIANT-* for a test that records a variant, or exactly the variant
the target claims). The judgement says whether the run's gate holds; report_plugin.py turns an
expected failure into an xfail and an unexpected pass into a failure. No I/O here except reading the
TOML file in ``load_expectations``.

Expectation file format (``conformance/expectations/*.toml``)::

    [tests."conformance/iso/test_hang.py::test_uid_wildcard[*]"]   # exact node id or pattern (* and ?)
    outcome = "FAIL"                      # or a list: ["FAIL", "PASS"] for a result that may vary
    clause = "ISO-2"                      # the clause the entry is about (documentation, checked)
    reason = "tenant hangs on a wildcard UID key"
    link = "SPEC.md section 8"

    [clauses."FIND-4"]                    # applies to every test checking FIND-4 without a test entry
    outcome = "VARIANT-orthanc"
    reason = "..."

Only ``*`` and ``?`` are wildcards in node id patterns: ``[`` is literal, since parametrized node ids
contain brackets.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.clauses import CLAUSES

PASS = "PASS"
FAIL = "FAIL"
DEVIATION = "DEVIATION"
ERROR = "ERROR"
SKIP = "SKIP"
VARIANT_PREFIX = "VARIANT-"
ANY_VARIANT = "VARIANT-*"

#: Outcomes that count as the target behaving as specified.
PASSING = frozenset({PASS})
#: Outcomes that say the target (or the harness, for ERROR) did not behave as specified.
FAILING = frozenset({FAIL, DEVIATION, ERROR})

EXPECTATIONS_DIR = Path(__file__).parent / "expectations"

#: --impl value -> expectation file chosen when --expectations is not given.
IMPL_EXPECTATION_FILES: dict[str, str] = {
    "reference": "reference.toml",
    "orthanc": "orthanc-1.12.toml",
    "orthanc-1.13": "orthanc-1.13.toml",
    "orthanc-docker": "orthanc-1.12.toml",
}


class ExpectationError(Exception):
    """An expectation file is unreadable or malformed (a usage error, not a target failure)."""


class Verdict(enum.IntEnum):
    """How an outcome compares with its expectation."""

    AS_EXPECTED = 0
    UNEXPECTED_FAILURE = 1  # expected to pass, did not
    UNEXPECTED_PASS = 2  # expected to fail (a stale expectation), passed
    UNEXPECTED_OUTCOME = 3  # expected one failing outcome or variant, got another


def is_variant(outcome: str) -> bool:
    return outcome.startswith(VARIANT_PREFIX)


def is_passing(outcome: str) -> bool:
    """PASS and every VARIANT-<alternative> mean the target conforms."""
    return outcome in PASSING or is_variant(outcome)


def is_failing(outcome: str) -> bool:
    return outcome in FAILING


def is_known_outcome(outcome: str) -> bool:
    return outcome in PASSING or outcome in FAILING or outcome == SKIP or is_variant(outcome)


def variant_outcome(variants: Mapping[str, str]) -> str:
    """VARIANT-<alternative> for the alternatives recorded, in clause order, joined by '+' if several."""
    alternatives: list[str] = []
    for clause_id in sorted(variants):
        if variants[clause_id] not in alternatives:
            alternatives.append(variants[clause_id])
    return VARIANT_PREFIX + "+".join(alternatives)


def grade_outcome(
    *,
    grade: str,
    setup_failed: bool,
    call_failed: bool,
    teardown_failed: bool,
    skipped: bool,
    harness_broke: bool,
    variants: Mapping[str, str],
) -> str:
    """The graded outcome of one test from the facts of its three phases.

    A failure in setup, or any failure caused by a HarnessError, is ERROR (the harness broke, the
    target was not judged). A failed call is FAIL for core and variant grades (a variant test fails
    only when the target showed none of the named alternatives) and DEVIATION for compat. A teardown
    failure after a good call is ERROR. A passed call that recorded variants is VARIANT-<alternative>.
    """
    if setup_failed or (harness_broke and (call_failed or teardown_failed)):
        return ERROR
    if call_failed:
        return DEVIATION if grade == "compat" else FAIL
    if skipped:
        return SKIP
    if teardown_failed:
        return ERROR
    if variants:
        return variant_outcome(variants)
    return PASS


@dataclass(frozen=True)
class Expectation:
    """The outcome(s) expected for a test, and why."""

    outcomes: tuple[str, ...]
    reason: str = ""
    link: str = ""
    key: str = "default"  # the entry that matched: 'tests.<pattern>', 'clauses.<ID>' or 'default'

    @property
    def is_default(self) -> bool:
        return self.key == "default"

    def describe(self) -> str:
        """'DEVIATION (reason; link)' for messages."""
        text = " or ".join(self.outcomes)
        detail = "; ".join(part for part in (self.reason, self.link) if part)
        return f"{text} ({detail})" if detail else text

    def allows(self, outcome: str) -> bool:
        return any(_outcome_matches(outcome, wanted) for wanted in self.outcomes)


def _outcome_matches(outcome: str, wanted: str) -> bool:
    if wanted == ANY_VARIANT:
        return is_variant(outcome)
    return outcome == wanted


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Only * and ? are wildcards; everything else (brackets included) is literal."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


@dataclass(frozen=True)
class Expectations:
    """The parsed entries of one expectation file (or none at all)."""

    tests: Mapping[str, Expectation] = field(default_factory=dict)
    clauses: Mapping[str, Expectation] = field(default_factory=dict)
    source: str | None = None

    def lookup(
        self,
        nodeid: str,
        clause_ids: Sequence[str],
        *,
        claimed_variants: Mapping[str, str] | None = None,
    ) -> Expectation:
        """The expectation for a test: exact node id, longest matching pattern, clause, default."""
        if nodeid in self.tests:
            return self.tests[nodeid]
        patterns = [p for p in self.tests if ("*" in p or "?" in p) and _pattern_regex(p).match(nodeid)]
        if patterns:
            return self.tests[max(patterns, key=len)]
        for clause_id in clause_ids:
            if clause_id in self.clauses:
                return self.clauses[clause_id]
        return default_expectation(clause_ids, claimed_variants=claimed_variants or {})


def default_expectation(clause_ids: Sequence[str], *, claimed_variants: Mapping[str, str]) -> Expectation:
    """Without an entry: PASS; a variant test may show any alternative unless the target claims one."""
    variant_clauses = [c for c in clause_ids if c in CLAUSES and CLAUSES[c].grade == "variant"]
    if not variant_clauses:
        return Expectation((PASS,))
    claimed = {c: claimed_variants[c] for c in variant_clauses if c in claimed_variants}
    if claimed and len(claimed) == len(variant_clauses):
        return Expectation((variant_outcome(claimed),), reason="variant claimed by the target",
                           key="claimed")
    return Expectation((ANY_VARIANT, PASS))


def judge(outcome: str, expectation: Expectation) -> Verdict:
    """Compare a graded outcome with its expectation. SKIP never breaks the gate."""
    if outcome == SKIP or expectation.allows(outcome):
        return Verdict.AS_EXPECTED
    expected_passing = any(is_passing(o) or o == ANY_VARIANT for o in expectation.outcomes)
    if is_passing(outcome) and not expected_passing:
        return Verdict.UNEXPECTED_PASS
    if is_failing(outcome) and expected_passing:
        return Verdict.UNEXPECTED_FAILURE
    return Verdict.UNEXPECTED_OUTCOME


def verdict_message(nodeid: str, outcome: str, expectation: Expectation, verdict: Verdict) -> str:
    """One line for the terminal and the report, e.g. 'UNEXPECTED PASS: id: expectation says ...'."""
    label = {
        Verdict.AS_EXPECTED: "as expected",
        Verdict.UNEXPECTED_FAILURE: f"UNEXPECTED {outcome}",
        Verdict.UNEXPECTED_PASS: "UNEXPECTED PASS",
        Verdict.UNEXPECTED_OUTCOME: f"UNEXPECTED {outcome}",
    }[verdict]
    return f"{label}: {nodeid} got {outcome}, expectation says {expectation.describe()}"


# --- reading the TOML files -------------------------------------------------------------------------


def expectations_path_for(impl: str | None) -> Path | None:
    """The committed expectation file chosen by --impl, or None for an unknown or external target."""
    if impl is None or impl not in IMPL_EXPECTATION_FILES:
        return None
    return EXPECTATIONS_DIR / IMPL_EXPECTATION_FILES[impl]


def _parse_entry(where: str, raw: Any) -> Expectation:
    if not isinstance(raw, dict):
        raise ExpectationError(f"{where}: must be a table")
    outcome = raw.get("outcome")
    outcomes = (outcome,) if isinstance(outcome, str) else outcome
    if not isinstance(outcomes, (list, tuple)) or not outcomes or not all(
        isinstance(o, str) for o in outcomes
    ):
        raise ExpectationError(f"{where}.outcome: a string or a non-empty list of strings is required")
    for value in outcomes:
        if not (is_known_outcome(value) or value == ANY_VARIANT):
            raise ExpectationError(f"{where}.outcome: unknown outcome {value!r}")
    clause = raw.get("clause")
    if clause is not None and clause not in CLAUSES:
        raise ExpectationError(f"{where}.clause: unknown clause {clause!r}")
    reason, link = raw.get("reason", ""), raw.get("link", "")
    if not isinstance(reason, str) or not reason.strip():
        raise ExpectationError(f"{where}.reason: every expectation needs a reason")
    if not isinstance(link, str):
        raise ExpectationError(f"{where}.link: must be a string")
    return Expectation(tuple(outcomes), reason=reason.strip(), link=link, key=where)


def parse_expectations(document: Mapping[str, Any], source: str | None = None) -> Expectations:
    """Validate a parsed TOML document; errors name the table path."""
    unknown = set(document) - {"meta", "tests", "clauses"}
    if unknown:
        raise ExpectationError(f"{source}: unknown top-level table(s) {sorted(unknown)}")
    tests_raw = document.get("tests", {})
    clauses_raw = document.get("clauses", {})
    if not isinstance(tests_raw, dict) or not isinstance(clauses_raw, dict):
        raise ExpectationError(f"{source}: [tests] and [clauses] must be tables")
    tests = {key: _parse_entry(f"tests.{key!r}", value) for key, value in tests_raw.items()}
    for clause_id in clauses_raw:
        if clause_id not in CLAUSES:
            raise ExpectationError(f"clauses.{clause_id}: unknown clause")
    clauses = {key: _parse_entry(f"clauses.{key}", value) for key, value in clauses_raw.items()}
    return Expectations(tests=tests, clauses=clauses, source=source)


def load_expectations(path: Path | str | None) -> Expectations:
    """Read an expectation file; None gives the empty set (every test expected to pass)."""
    if path is None:
        return Expectations()
    path = Path(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ExpectationError(f"cannot read expectation file {path}: {exc}") from exc
    return parse_expectations(document, source=str(path))


def entries_count(expectations: Expectations) -> int:
    return len(expectations.tests) + len(expectations.clauses)


def unused_entries(expectations: Expectations, used_keys: Iterable[str]) -> list[str]:
    """Entries no collected test matched (stale or mistyped keys), for the terminal summary."""
    used = set(used_keys)
    keys = [e.key for e in expectations.tests.values()] + [e.key for e in expectations.clauses.values()]
    return [key for key in keys if key not in used]
