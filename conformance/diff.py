"""Regression diff of two JSON conformance reports.

``python -m conformance.diff OLD.json NEW.json [--markdown]`` (console script ``mtdicom-report-diff``).

Strategy: tests are matched by node id. Each pair of outcomes falls in exactly one category:
- added / removed: the test is in only one report;
- fixed: a failing outcome (FAIL, DEVIATION, ERROR) became passing (PASS or VARIANT-*);
- regressed: a passing outcome became failing, or a failure got worse (DEVIATION -> FAIL);
- variant changed: VARIANT-a became VARIANT-b (a different alternative, not a regression);
- changed: any other difference (e.g. FAIL -> ERROR, PASS -> SKIP).
Changes are grouped by clause (a test with several clauses is listed under each). The exit code is 1
when anything regressed, else 0; 2 for a usage error (unreadable report). Raw graded outcomes are
compared, not verdicts: the diff says what the target did, whatever the expectation files say.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.clauses import CLAUSES, clause_sort_key
from conformance.expectations import DEVIATION, FAIL, is_failing, is_passing, is_variant

CATEGORIES: tuple[str, ...] = ("regressed", "fixed", "variant_changed", "changed", "added", "removed")
_TITLES = {
    "regressed": "Regressed", "fixed": "Fixed", "variant_changed": "Variant changed",
    "changed": "Changed", "added": "Added", "removed": "Removed",
}


@dataclass(frozen=True)
class Change:
    """One test whose outcome differs between the two reports."""

    nodeid: str
    clauses: tuple[str, ...]
    category: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ReportDiff:
    old_label: str
    new_label: str
    changes: tuple[Change, ...] = field(default_factory=tuple)
    unchanged: int = 0

    @property
    def regressed(self) -> bool:
        return any(c.category == "regressed" for c in self.changes)

    def by_category(self, category: str) -> list[Change]:
        return [c for c in self.changes if c.category == category]

    def by_clause(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            for clause_id in change.clauses or ("(no clause)",):
                grouped.setdefault(clause_id, []).append(change)
        return dict(sorted(grouped.items(), key=lambda kv: clause_sort_key(kv[0])))


def categorize(old: str | None, new: str | None) -> str | None:
    """The category of an outcome change, or None when nothing changed."""
    if old is None and new is None:
        return None
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if old == new:
        return None
    if is_passing(old) and is_failing(new):
        return "regressed"
    if old == DEVIATION and new == FAIL:
        return "regressed"
    if is_failing(old) and is_passing(new):
        return "fixed"
    if is_variant(old) and is_variant(new):
        return "variant_changed"
    return "changed"


def _tests(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(t["nodeid"]): t for t in report.get("tests", [])}


def _label(report: Mapping[str, Any], fallback: str) -> str:
    target = report.get("run", {}).get("target", {})
    impl, version = target.get("impl"), target.get("version")
    if not impl or impl == "unknown":
        return fallback
    return f"{impl} {version}" if version else str(impl)


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any], *, old_name: str = "old",
                 new_name: str = "new") -> ReportDiff:
    """Compare two report documents (pure)."""
    old_tests, new_tests = _tests(old), _tests(new)
    changes: list[Change] = []
    unchanged = 0
    for nodeid in sorted(set(old_tests) | set(new_tests)):
        before, after = old_tests.get(nodeid), new_tests.get(nodeid)
        old_outcome = str(before["outcome"]) if before else None
        new_outcome = str(after["outcome"]) if after else None
        category = categorize(old_outcome, new_outcome)
        if category is None:
            unchanged += 1
            continue
        source = after or before or {}
        changes.append(Change(nodeid, tuple(source.get("clauses", ())), category, old_outcome, new_outcome))
    old_label, new_label = _label(old, old_name), _label(new, new_name)
    if old_label == new_label:  # two runs of one implementation: name the files too
        old_label, new_label = f"{old_label} ({old_name})", f"{new_label} ({new_name})"
    return ReportDiff(old_label, new_label, tuple(changes), unchanged)


def _counts(diff: ReportDiff) -> str:
    return ", ".join(f"{len(diff.by_category(c))} {_TITLES[c].lower()}" for c in CATEGORIES)


def render_text(diff: ReportDiff) -> str:
    lines = [f"conformance diff: {diff.old_label} -> {diff.new_label}",
             f"{_counts(diff)}; {diff.unchanged} unchanged",
             f"verdict: {'REGRESSION' if diff.regressed else 'no regression'}"]
    for clause_id, changes in diff.by_clause().items():
        title = CLAUSES[clause_id].title if clause_id in CLAUSES else ""
        lines.append(f"\n{clause_id} {title}".rstrip())
        for change in changes:
            lines.append(f"  {_TITLES[change.category].upper():<16} {change.nodeid}: "
                         f"{change.old or '-'} -> {change.new or '-'}")
    return "\n".join(lines) + "\n"


def render_markdown(diff: ReportDiff) -> str:
    """A PR comment: verdict, counts, then one table per category, each row naming its clauses."""
    icon = "❌ **Regression**" if diff.regressed else "✅ **No regression**"
    lines = [f"### Conformance diff: {diff.old_label} → {diff.new_label}", "",
             f"{icon} — {_counts(diff)}; {diff.unchanged} unchanged.", ""]
    for category in CATEGORIES:
        changes = diff.by_category(category)
        if not changes:
            continue
        lines += [f"#### {_TITLES[category]} ({len(changes)})", "",
                  "| Clause(s) | Test | Before | After |", "|---|---|---|---|"]
        for change in sorted(changes, key=lambda c: (clause_sort_key(c.clauses[0]) if c.clauses
                                                      else (99, 0, ""), c.nodeid)):
            lines.append(f"| {', '.join(change.clauses)} | `{change.nodeid}` | {change.old or '—'} | "
                         f"{change.new or '—'} |")
        lines.append("")
    clauses = diff.by_clause()
    if clauses:
        lines += ["#### By clause", "", "| Clause | Grade | Title | Changes |", "|---|---|---|---|"]
        for clause_id, changes in clauses.items():
            clause = CLAUSES.get(clause_id)
            kinds = sorted({_TITLES[c.category].lower() for c in changes})
            lines.append(f"| {clause_id} | {clause.grade if clause else ''} | "
                         f"{clause.title if clause else ''} | {len(changes)} ({', '.join(kinds)}) |")
    return "\n".join(lines).rstrip() + "\n"


def _load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"mtdicom-report-diff: cannot read {path}: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("tests"), list):
        raise SystemExit(f"mtdicom-report-diff: {path} is not a conformance report (no 'tests' list)")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mtdicom-report-diff",
                                     description="Compare two JSON conformance reports by test and clause.")
    parser.add_argument("old", type=Path, help="the baseline report (JSON)")
    parser.add_argument("new", type=Path, help="the report to judge (JSON)")
    parser.add_argument("--markdown", action="store_true", help="Markdown output, for a PR comment")
    args = parser.parse_args(argv)
    try:
        old, new = _load(args.old), _load(args.new)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    diff = diff_reports(old, new, old_name=str(args.old), new_name=str(args.new))
    sys.stdout.write(render_markdown(diff) if args.markdown else render_text(diff))
    return 1 if diff.regressed else 0


if __name__ == "__main__":
    raise SystemExit(main())
