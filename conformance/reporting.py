"""Report documents built by pure functions from the facts of a run.

Strategy: report_plugin.py collects one ``TestFacts`` per test (from ``item.user_properties``: clauses,
grade, variant, repro; and from the phase reports) and one ``RunFacts`` per session (target, suite,
hypothesis settings, times). ``build_report`` turns them into the JSON document described by
``report.schema.json``; every other format (Markdown, HTML, JUnit XML in report_render.py, the
terminal table) is rendered from that JSON document alone, so a report can be re-rendered from a
stored JSON file. Nothing here touches the file system (``report_render.write_reports`` does).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.clauses import CLAUSES, Clause, clause_sort_key
from conformance.expectations import (
    DEVIATION,
    ERROR,
    FAIL,
    PASS,
    SKIP,
    Verdict,
    is_variant,
)

SCHEMA_ID = "mtdicom-conformance-report/1"

#: Columns of the clause table, in order; every VARIANT-* outcome is counted under VARIANT.
OUTCOME_COLUMNS: tuple[str, ...] = (FAIL, DEVIATION, ERROR, "VARIANT", SKIP, PASS)
#: Row order of the clause table: the worst outcome of a clause decides, failures first.
_SEVERITY: dict[str, int] = {FAIL: 0, ERROR: 1, DEVIATION: 2, "VARIANT": 3, SKIP: 4, PASS: 5, "UNTESTED": 6}


@dataclass(frozen=True)
class TestFacts:
    """Everything the report says about one test."""

    __test__ = False  # not a pytest test class

    nodeid: str
    clauses: tuple[str, ...]
    grade: str
    outcome: str
    expected: tuple[str, ...]
    verdict: str  # a Verdict name
    expectation_key: str = "default"
    expectation_reason: str = ""
    variants: Mapping[str, str] = field(default_factory=dict)
    message: str = ""
    duration: float = 0.0
    repro: str = ""

    @property
    def as_expected(self) -> bool:
        return self.verdict == Verdict.AS_EXPECTED.name


@dataclass(frozen=True)
class RunFacts:
    """Everything the report says about the run as a whole."""

    target: Mapping[str, Any]
    suite_version: str | None
    git_revision: str | None
    hypothesis_seed: str | None
    hypothesis_profile: str | None
    started: str  # ISO 8601, UTC
    finished: str
    duration: float
    command: str
    expectations: str | None  # the expectation file used
    exit_status: int


def outcome_column(outcome: str) -> str:
    return "VARIANT" if is_variant(outcome) else outcome


def build_report(run: RunFacts, tests: Sequence[TestFacts]) -> dict[str, Any]:
    """The JSON report document (see report.schema.json)."""
    ordered = sorted(tests, key=lambda t: t.nodeid)
    by_outcome = Counter(t.outcome for t in ordered)
    unexpected = [t for t in ordered if not t.as_expected]
    return {
        "schema": SCHEMA_ID,
        "run": {
            "target": dict(run.target),
            "suite": {"version": run.suite_version, "git_revision": run.git_revision},
            "hypothesis": {"seed": run.hypothesis_seed, "profile": run.hypothesis_profile},
            "started": run.started,
            "finished": run.finished,
            "duration": round(run.duration, 3),
            "command": run.command,
            "expectations": run.expectations,
            "exit_status": run.exit_status,
        },
        "summary": {
            "total": len(ordered),
            "by_outcome": dict(sorted(by_outcome.items())),
            "unexpected": len(unexpected),
            "gate": "pass" if not unexpected else "fail",
        },
        "clauses": clause_summaries(ordered, CLAUSES.values()),
        "tests": [_test_entry(t) for t in ordered],
    }


def _test_entry(test: TestFacts) -> dict[str, Any]:
    entry = asdict(test)
    entry["clauses"] = list(test.clauses)
    entry["expected"] = list(test.expected)
    entry["variants"] = dict(test.variants)
    entry["duration"] = round(test.duration, 3)
    entry["as_expected"] = test.as_expected
    return entry


def clause_summaries(tests: Sequence[TestFacts], catalogue: Iterable[Clause]) -> list[dict[str, Any]]:
    """One row per clause of the catalogue: outcome counts, variants seen, worst outcome, failures first."""
    rows: list[dict[str, Any]] = []
    for clause in catalogue:
        covering = [t for t in tests if clause.id in t.clauses]
        counts = Counter(outcome_column(t.outcome) for t in covering)
        variants = Counter(t.variants[clause.id] for t in covering if clause.id in t.variants)
        status = min(counts, key=lambda c: _SEVERITY[c]) if counts else "UNTESTED"
        rows.append({
            "id": clause.id,
            "grade": clause.grade,
            "section": clause.section,
            "title": clause.title,
            "text": clause.text,
            "alternatives": list(clause.alternatives),
            "tests": len(covering),
            "outcomes": {column: counts[column] for column in OUTCOME_COLUMNS if counts[column]},
            "variants": dict(sorted(variants.items())),
            "unexpected": sum(1 for t in covering if not t.as_expected),
            "status": status,
        })
    rows.sort(key=lambda r: (_SEVERITY[r["status"]], clause_sort_key(r["id"])))
    return rows


# --- Markdown and the terminal table ------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _status_label(row: Mapping[str, Any]) -> str:
    status = str(row["status"])
    if status == "VARIANT" and row["variants"]:
        return ", ".join(f"VARIANT-{alt}" for alt in row["variants"])
    return status


def render_markdown(report: Mapping[str, Any]) -> str:
    """Markdown summary: run facts, the clause table (failures first, with requirement text), failures."""
    run, summary = report["run"], report["summary"]
    target = run["target"]
    lines = [
        "# Multitenant DICOM conformance report",
        "",
        f"- Target: `{target.get('impl')}` {target.get('version') or ''} at "
        f"{target.get('host')}:{target.get('main_port')} (main AET {target.get('main_aet')})",
        f"- Suite: {run['suite']['version']} (git {run['suite']['git_revision'] or 'unknown'})",
        f"- Hypothesis: profile {run['hypothesis']['profile']}, seed {run['hypothesis']['seed']}",
        f"- Run: {run['started']} to {run['finished']} ({run['duration']} s), `{run['command']}`",
        f"- Expectations: {run['expectations'] or 'none (every test expected to pass)'}",
        f"- Gate: **{summary['gate'].upper()}** ({summary['total']} tests, {summary['unexpected']} "
        f"unexpected; " + ", ".join(f"{k} {v}" for k, v in summary["by_outcome"].items()) + ")",
        "",
        "## Clauses",
        "",
        "| Clause | Grade | Status | " + " | ".join(OUTCOME_COLUMNS) + " | Unexpected | Requirement |",
        "|---|---|---|" + "---:|" * len(OUTCOME_COLUMNS) + "---:|---|",
    ]
    for row in report["clauses"]:
        counts = [str(row["outcomes"].get(column, "")) for column in OUTCOME_COLUMNS]
        lines.append(
            f"| {row['id']} | {row['grade']} | {_status_label(row)} | " + " | ".join(counts)
            + f" | {row['unexpected'] or ''} | **{_md_cell(row['title'])}**: {_md_cell(row['text'])} |"
        )
    problems = [t for t in report["tests"]
                if not t["as_expected"] or t["outcome"] in (FAIL, DEVIATION, ERROR)]
    if problems:
        lines += ["", "## Failures, deviations and unexpected results", ""]
        for test in problems:
            flag = "" if test["as_expected"] else f" — **{test['verdict'].replace('_', ' ')}**"
            lines += [
                f"### `{test['nodeid']}`",
                "",
                f"- Outcome: **{test['outcome']}**, expected {' or '.join(test['expected'])}{flag}"
                + (f" ({_md_cell(test['expectation_reason'])})" if test["expectation_reason"] else ""),
                f"- Clauses: {', '.join(test['clauses'])} ({test['grade']})",
                f"- Reproduce: `{test['repro']}`",
                "",
                "```",
                test["message"].strip() or "(no message)",
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def render_terminal_table(report: Mapping[str, Any], *, only_tested: bool = True) -> list[str]:
    """Plain-text clause table for the end of the terminal summary."""
    header = f"{'clause':<8} {'grade':<7} {'status':<30} " + " ".join(f"{c:>9}" for c in OUTCOME_COLUMNS)
    lines = [header, "-" * len(header)]
    for row in report["clauses"]:
        if only_tested and not row["tests"]:
            continue
        status = _status_label(row) + (" (!)" if row["unexpected"] else "")
        counts = " ".join(f"{row['outcomes'].get(column, ''):>9}" for column in OUTCOME_COLUMNS)
        lines.append(f"{row['id']:<8} {row['grade']:<7} {status:<30} {counts}")
    untested = [row["id"] for row in report["clauses"] if not row["tests"]]
    if only_tested and untested:
        lines.append(f"untested clauses: {', '.join(sorted(untested, key=clause_sort_key))}")
    return lines
