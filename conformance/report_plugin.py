"""pytest11 entry point of the reports: graded outcomes, the expectation gate, report files, selection.

Strategy: the plugin stays thin and only collects facts; the rules live in expectations.py (grading,
judging) and the documents in reporting.py / report_render.py.
- Collection: ``--clause=PATTERN`` deselects tests none of whose clauses match; ``--list-clauses``
  prints the catalogue with the tests covering each clause and makes the run loop do nothing (exit 0).
  The plugin is active only if a collected item carries the ``clause`` marker; otherwise inert.
- ``pytest_runtest_makereport`` (hookwrapper): grades each phase as it ends, judges the outcome against
  the expectation, and rewrites the pytest report so that pytest's own exit code is the gate: an
  expected failure becomes an xfail, an unexpected pass (or an unclaimed variant) becomes a failure
  whose text says "UNEXPECTED PASS: ... expectation says DEVIATION (reason)".
- ``pytest_sessionfinish`` builds the report from the facts and writes it; ``pytest_terminal_summary``
  prints the clause table, the unexpected results and the paths written.
"""

from __future__ import annotations

import secrets
import shlex
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from conformance import expectations as ex
from conformance.clauses import CLAUSES, grade_of
from conformance.listing import clause_coverage, matches_clause_patterns, render_clause_listing
from conformance.report_render import write_reports
from conformance.reporting import RunFacts, TestFacts, build_report, render_terminal_table
from conformance.run_facts import (
    git_revision,
    impl_of,
    iso_utc,
    suite_version,
    target_facts,
    target_info,
    target_plan,
)

OPTION_GROUP = "multitenant-conformance"
OPT_REPORT_DIR = "mt_report_dir"
OPT_EXPECTATIONS = "mt_expectations"
OPT_CLAUSE = "mt_clause"
OPT_LIST_CLAUSES = "mt_list_clauses"
CLAUSE_MARKER = "clause"
_MESSAGE_LIMIT = 4000
_UNEXPECTED_SHOWN = 40


@dataclass
class _Pending:
    """Facts of one test gathered phase by phase (mutable while the test runs)."""

    outcome: str | None = None
    expectation: ex.Expectation | None = None
    verdict: ex.Verdict = ex.Verdict.AS_EXPECTED
    message: str = ""
    duration: float = 0.0
    item: pytest.Item | None = None


@dataclass
class _State:
    """Per-session state of the plugin."""

    active: bool = False
    listing_only: bool = False
    expectations: ex.Expectations = field(default_factory=ex.Expectations)
    pending: dict[str, _Pending] = field(default_factory=dict)
    facts: list[TestFacts] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    written: list[Path] = field(default_factory=list)
    report: dict[str, Any] | None = None
    hypothesis_seed: str | None = None  # given with --hypothesis-seed, or drawn by this plugin
    used_entries: set[str] = field(default_factory=set)  # expectation keys that matched a test
    restore_seed: tuple[Any, ...] = ()  # (hypothesis.core, previous global_force_seed) to undo ours


STATE_KEY = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(OPTION_GROUP)
    group.addoption("--report-dir", dest=OPT_REPORT_DIR, default=None, metavar="DIR",
                    help="where the conformance reports are written (default: <rootdir>/reports)")
    group.addoption("--expectations", dest=OPT_EXPECTATIONS, default=None, metavar="FILE",
                    help="expectation file (TOML); default: conformance/expectations/<impl>.toml")
    group.addoption("--clause", dest=OPT_CLAUSE, action="append", default=[], metavar="PATTERN",
                    help="run only tests checking a clause matching PATTERN (fnmatch, repeatable)")
    group.addoption("--list-clauses", dest=OPT_LIST_CLAUSES, action="store_true", default=False,
                    help="print the clause catalogue with the tests covering each clause; run nothing")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not any(str(line).split(":")[0].split("(")[0].strip() == CLAUSE_MARKER
               for line in config.getini("markers")):
        config.addinivalue_line("markers", "clause(*ids): the SPEC.md clause IDs a conformance test checks")
    state = _State(listing_only=bool(config.getoption(OPT_LIST_CLAUSES)))
    for pattern in config.getoption(OPT_CLAUSE):
        if not any(fnmatchcase(clause_id, pattern) for clause_id in CLAUSES):
            raise pytest.UsageError(f"--clause={pattern}: matches no clause of the catalogue")
    path = config.getoption(OPT_EXPECTATIONS)
    if path is None:
        path = ex.expectations_path_for(impl_of(config))
        if path is not None and not path.exists():
            path = None  # a committed file is missing: every test is expected to pass
    try:
        state.expectations = ex.load_expectations(path)
    except ex.ExpectationError as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.stash[STATE_KEY] = state


def _clauses_of(item: pytest.Item) -> tuple[str, ...]:
    for name, value in item.user_properties:
        if name == "clauses" and isinstance(value, (list, tuple)):
            return tuple(str(v) for v in value)
    ids: list[str] = []
    for marker in item.iter_markers(CLAUSE_MARKER):
        ids.extend(str(arg) for arg in marker.args if str(arg) not in ids)
    return tuple(ids)


def _property(item: pytest.Item, name: str) -> object | None:
    found: object | None = None
    for key, value in item.user_properties:
        if key == name:
            found = value  # the last one wins
    return found


def _variants_of(item: pytest.Item) -> dict[str, str]:
    variants: dict[str, str] = {}
    for key, value in item.user_properties:
        if key == "variant" and isinstance(value, Mapping):
            variants.update({str(k): str(v) for k, v in value.items()})
    return variants


def _grade(clauses: tuple[str, ...]) -> str:
    known = [c for c in clauses if c in CLAUSES]
    return grade_of(known) if known else "core"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    patterns = config.getoption(OPT_CLAUSE)
    if patterns:
        keep = [i for i in items if matches_clause_patterns(_clauses_of(i), patterns)]
        kept = {id(i) for i in keep}
        dropped = [i for i in items if id(i) not in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep
    state.active = any(item.get_closest_marker(CLAUSE_MARKER) is not None for item in items)
    given = config.getoption("hypothesis_seed", default=None)
    state.hypothesis_seed = None if given is None else str(given)
    if state.active and not state.listing_only and given is None:
        _force_hypothesis_seed(state)


def _force_hypothesis_seed(state: _State) -> None:
    """Draw the run's hypothesis seed, as ``--hypothesis-seed`` would set it, so that every reproduce
    command can name it (hypothesis' own plugin sets this same module attribute); undone at session end."""
    try:
        from hypothesis import core
    except ImportError:
        return
    if core.global_force_seed is not None:
        state.hypothesis_seed = str(core.global_force_seed)
        return
    seed = secrets.randbits(32)
    state.restore_seed = (core, core.global_force_seed)
    setattr(core, "global_force_seed", seed)  # noqa: B010 - the attribute is typed None in hypothesis
    state.hypothesis_seed = str(seed)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if state is None or not state.listing_only:
        return
    coverage = clause_coverage((item.nodeid, _clauses_of(item)) for item in session.items)
    writer = session.config.get_terminal_writer()
    writer.line("")
    for line in render_clause_listing(CLAUSES.values(), coverage):
        writer.line(line)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    state = session.config.stash.get(STATE_KEY, None)
    return True if state is not None and state.listing_only else None


def _harness_broke(excinfo: pytest.ExceptionInfo[BaseException] | None) -> bool:
    if excinfo is None:
        return False
    pending: list[BaseException] = [excinfo.value]
    while pending:
        exc = pending.pop()
        if any(cls.__name__ == "HarnessError" for cls in type(exc).__mro__):
            return True
        if isinstance(exc, BaseExceptionGroup):
            pending.extend(exc.exceptions)
    return False


def _message(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    text = call.excinfo.exconly() if call.excinfo is not None else report.longreprtext
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "\n[... truncated]"


def _grade_phase(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None],
                 state: _State, pending: _Pending) -> None:
    """Grade a phase that decides the outcome, judge it, and rewrite the pytest report for the gate."""
    clauses = _clauses_of(item)
    outcome = ex.grade_outcome(
        grade=_grade(clauses),
        setup_failed=report.when == "setup" and report.failed,
        call_failed=report.when == "call" and (report.failed or hasattr(report, "wasxfail")),
        teardown_failed=report.when == "teardown" and report.failed,
        skipped=report.skipped and not hasattr(report, "wasxfail"),
        harness_broke=_harness_broke(call.excinfo),
        variants=_variants_of(item),
    )
    described = target_info(item.config) or target_plan(item.config)
    claimed = getattr(described, "variants_claimed", None) or {}
    expectation = state.expectations.lookup(item.nodeid, clauses, claimed_variants=claimed)
    verdict = ex.judge(outcome, expectation)
    pending.outcome, pending.expectation, pending.verdict = outcome, expectation, verdict
    state.used_entries.add(expectation.key)
    pending.message = "" if report.passed else _message(report, call)
    if hasattr(report, "wasxfail"):
        return  # pytest's own xfail marker already decided; leave its report alone
    if verdict is ex.Verdict.AS_EXPECTED and report.failed:
        report.outcome = "skipped"
        why = "; ".join(part for part in (expectation.reason, expectation.link) if part)
        report.wasxfail = f"expected {outcome}" + (f": {why}" if why else "")
    elif verdict is not ex.Verdict.AS_EXPECTED and report.passed:
        report.outcome = "failed"
        report.longrepr = ex.verdict_message(item.nodeid, outcome, expectation, verdict)
    elif verdict is not ex.Verdict.AS_EXPECTED and report.failed:
        report.sections.append(("conformance expectation",
                                ex.verdict_message(item.nodeid, outcome, expectation, verdict)))


def _decides(report: pytest.TestReport, pending: _Pending) -> bool:
    """Whether this phase decides the outcome: a failing or skipping setup, else the call; a teardown
    failure only overrides a passing call (it is then ERROR)."""
    if pending.outcome is None:
        if report.when == "setup":
            return not report.passed
        return report.when == "call" or report.failed
    return report.when == "teardown" and report.failed and ex.is_passing(pending.outcome)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    result = yield
    state = item.config.stash.get(STATE_KEY, None)
    if state is None or not state.active or item.get_closest_marker(CLAUSE_MARKER) is None:
        return
    report: pytest.TestReport = result.get_result()
    pending = state.pending.setdefault(item.nodeid, _Pending(item=item))
    pending.duration += report.duration
    if _decides(report, pending):
        _grade_phase(item, report, call, state, pending)
    if report.when == "teardown":
        state.facts.append(_finalise(item, state.pending.pop(item.nodeid)))


def _finalise(item: pytest.Item, pending: _Pending) -> TestFacts:
    clauses = _clauses_of(item)
    expectation = pending.expectation or ex.Expectation((ex.PASS,))
    outcome = pending.outcome or ex.ERROR  # no phase decided: the protocol was interrupted
    grade = _property(item, "grade")
    return TestFacts(
        nodeid=item.nodeid,
        clauses=clauses,
        grade=grade if isinstance(grade, str) else _grade(clauses),
        outcome=outcome,
        expected=expectation.outcomes,
        verdict=pending.verdict.name,
        expectation_key=expectation.key,
        expectation_reason=expectation.reason,
        variants=_variants_of(item),
        message=pending.message,
        duration=pending.duration,
        repro=_repro(item, pending.message),
    )


def _repro(item: pytest.Item, message: str) -> str:
    given = _property(item, "repro")
    if isinstance(given, str) and given:
        command = given
    else:
        config = item.config
        impl = impl_of(config)
        args: list[str] = ["pytest", item.nodeid]
        args.extend(getattr(target_plan(config), "cli_args", ()) or ([f"--impl={impl}"] if impl else []))
        state = config.stash.get(STATE_KEY, None)
        if state is not None and state.hypothesis_seed is not None:
            args.append(f"--hypothesis-seed={state.hypothesis_seed}")
        profile = config.getoption("hypothesis_profile", default=None)
        if profile:
            args.append(f"--hypothesis-profile={profile}")
        command = shlex.join(args)
    hints = [line.strip() for line in message.splitlines()
             if "@reproduce_failure(" in line or "--hypothesis-seed=" in line]
    return command + (f"  # {hints[0]}" if hints else "")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    if state is not None and state.restore_seed:
        module, previous = state.restore_seed
        module.global_force_seed = previous
    if state is None or not state.active or state.listing_only:
        return
    for pending in state.pending.values():  # tests the run was interrupted in (no teardown report)
        if pending.item is not None:
            pending.message = pending.message or f"run interrupted (exit status {int(exitstatus)})"
            if pending.outcome is None:
                pending.outcome = ex.ERROR
                pending.expectation = state.expectations.lookup(pending.item.nodeid,
                                                                _clauses_of(pending.item))
                pending.verdict = ex.judge(ex.ERROR, pending.expectation)
            state.facts.append(_finalise(pending.item, pending))
    state.pending.clear()
    finished = time.time()
    profile = config.getoption("hypothesis_profile", default=None)
    if profile is None:
        try:
            from hypothesis import settings
            profile = settings.get_current_profile_name()
        except ImportError:
            profile = None
    run = RunFacts(
        target=target_facts(config),
        suite_version=suite_version(),
        git_revision=git_revision(),
        hypothesis_seed=state.hypothesis_seed,
        hypothesis_profile=profile,
        started=iso_utc(state.started),
        finished=iso_utc(finished),
        duration=finished - state.started,
        command=shlex.join(["pytest", *config.invocation_params.args]),
        expectations=state.expectations.source,
        exit_status=int(exitstatus),
    )
    state.report = build_report(run, state.facts)
    directory = config.getoption(OPT_REPORT_DIR)
    where = config.invocation_params.dir / directory if directory else config.rootpath / "reports"
    state.written = write_reports(state.report, where.resolve())


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.report is None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("multitenant DICOM conformance: clauses")
    for line in render_terminal_table(state.report):
        write(line)
    unexpected = [t for t in state.report["tests"] if not t["as_expected"]]
    summary = state.report["summary"]
    write(f"gate: {summary['gate'].upper()} ({summary['total']} tests, {summary['unexpected']} unexpected; "
          f"expectations: {state.expectations.source or 'none'})")
    for test in unexpected[:_UNEXPECTED_SHOWN]:
        expectation = ex.Expectation(tuple(test["expected"]), reason=test["expectation_reason"])
        write(ex.verdict_message(test["nodeid"], test["outcome"], expectation, ex.Verdict[test["verdict"]]),
              red=True, bold=True)
    unused = ex.unused_entries(state.expectations, state.used_entries)
    if unused and not config.getoption(OPT_CLAUSE) and not config.getoption("keyword", default=""):
        write(f"expectation entries that matched no test (stale?): {', '.join(unused)}", yellow=True)
    if len(unexpected) > _UNEXPECTED_SHOWN:
        more = len(unexpected) - _UNEXPECTED_SHOWN
        write(f"... and {more} more unexpected results (see the report)", red=True)
    for path in state.written:
        write(f"report: {path}")
