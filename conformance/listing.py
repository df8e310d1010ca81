"""Clause selection (``--clause=PATTERN``) and the clause listing (``--list-clauses``), as pure functions.

``python -m conformance.listing`` prints the catalogue alone (no tests collected); the pytest option
``--list-clauses`` prints it with the tests covering each clause.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase

from conformance.clauses import CLAUSES, Clause


def matches_clause_patterns(clause_ids: Iterable[str], patterns: Sequence[str]) -> bool:
    """True if any clause ID matches any fnmatch pattern (case-sensitive, like the IDs)."""
    return any(fnmatchcase(clause_id, pattern) for clause_id in clause_ids for pattern in patterns)


def clause_coverage(items: Iterable[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    """clause ID -> node ids of the tests checking it, from (node id, clause IDs) pairs."""
    coverage: dict[str, list[str]] = {}
    for nodeid, clause_ids in items:
        for clause_id in clause_ids:
            coverage.setdefault(clause_id, []).append(nodeid)
    return coverage


def render_clause_listing(catalogue: Iterable[Clause],
                          coverage: Mapping[str, Sequence[str]] | None) -> list[str]:
    """The catalogue grouped by section, each clause with its grade, alternatives and covering tests
    (``coverage`` None: the catalogue alone, without test counts)."""
    lines: list[str] = []
    clauses = list(catalogue)
    section = ""
    for clause in clauses:
        if clause.section != section:
            section = clause.section
            lines += [*([""] if lines else []), f"== {section}"]
        alternatives = f" [{' | '.join(clause.alternatives)}]" if clause.alternatives else ""
        tests = (coverage or {}).get(clause.id, [])
        counted = f": {len(tests)} test(s)" if coverage is not None else ""
        lines.append(f"{clause.id} ({clause.grade}) {clause.title}{alternatives}{counted}")
        lines.append(f"    {clause.text}")
        lines.extend(f"    - {nodeid}" for nodeid in tests)
    if coverage is None:
        return lines
    known = {clause.id for clause in clauses}
    strays = sorted(set(coverage) - known)
    if strays:
        lines += ["", "== clause IDs used by tests but not in the catalogue: " + ", ".join(strays)]
    covered = sum(1 for clause in clauses if coverage.get(clause.id))
    lines += ["", f"{covered} of {len(clauses)} clauses covered by {len(_all_tests(coverage))} test(s)"]
    return lines


def _all_tests(coverage: Mapping[str, Sequence[str]]) -> set[str]:
    return {nodeid for nodeids in coverage.values() for nodeid in nodeids}


def main() -> int:
    for line in render_clause_listing(CLAUSES.values(), None):
        print(line)
    print(f"\n{len(CLAUSES)} clauses; with the tests covering each: pytest conformance/ --list-clauses")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
