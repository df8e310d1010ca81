"""Render a JSON report document as a standalone HTML page and as JUnit XML, and write the files.

Strategy: both renderers read only the JSON document built by ``reporting.build_report``, so they
work as well on a stored report as on a live run. The HTML page has its style inline and no
script, so it can be attached to a CI run and opened anywhere. The JUnit XML maps graded outcomes
to JUnit's vocabulary: FAIL and DEVIATION are <failure> (an expected one is <skipped
type="expected">, like pytest's xfail), ERROR is <error>, SKIP is <skipped>, PASS and VARIANT-* pass.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.expectations import DEVIATION, ERROR, FAIL, SKIP
from conformance.reporting import OUTCOME_COLUMNS, render_markdown

REPORT_BASENAME = "conformance"

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.req{max-width:48em;font-size:.9em}
.FAIL,.ERROR{background:#fdd}.DEVIATION{background:#ffe7c2}.VARIANT{background:#e3ecff}
.PASS{background:#e2f7e2}.SKIP,.UNTESTED{background:#eee}.unexpected{outline:3px solid #c00}
pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;max-width:100em}code{font-size:.9em}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def render_html(report: Mapping[str, Any]) -> str:
    """A standalone HTML page: run facts, clause table failures first, then every problem in detail."""
    run, summary, target = report["run"], report["summary"], report["run"]["target"]
    facts = [
        ("Target", f"{target.get('impl')} {target.get('version') or ''} at {target.get('host')}:"
                   f"{target.get('main_port')} (main AET {target.get('main_aet')})"),
        ("Tenants", ", ".join(t.get("aet", "?") for t in target.get("tenants", [])) or "-"),
        ("Suite", f"{run['suite']['version']} (git {run['suite']['git_revision'] or 'unknown'})"),
        ("Hypothesis", f"profile {run['hypothesis']['profile']}, seed {run['hypothesis']['seed']}"),
        ("Run", f"{run['started']} to {run['finished']} ({run['duration']} s)"),
        ("Command", run["command"]),
        ("Expectations", run["expectations"] or "none (every test expected to pass)"),
        ("Gate", f"{summary['gate'].upper()}: {summary['total']} tests, {summary['unexpected']} unexpected"),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Multitenant DICOM conformance report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Multitenant DICOM conformance report</h1>",
        "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts) + "</table>",
        "<h2>Clauses</h2>",
        "<table><tr><th>Clause</th><th>Grade</th><th>Status</th>"
        + "".join(f"<th>{c}</th>" for c in OUTCOME_COLUMNS)
        + "<th>Unexpected</th><th>Requirement</th></tr>",
    ]
    for row in report["clauses"]:
        status = row["status"]
        label = ", ".join(f"VARIANT-{alt}" for alt in row["variants"]) if row["variants"] else status
        cls = status + (" unexpected" if row["unexpected"] else "")
        out.append(
            f'<tr class="{_e(cls)}"><td>{_e(row["id"])}</td><td>{_e(row["grade"])}</td><td>{_e(label)}</td>'
            + "".join(f'<td class="num">{_e(row["outcomes"].get(c, ""))}</td>' for c in OUTCOME_COLUMNS)
            + f'<td class="num">{_e(row["unexpected"] or "")}</td>'
            + f'<td class="req"><b>{_e(row["title"])}</b>: {_e(row["text"])}</td></tr>'
        )
    out.append("</table><h2>Tests</h2><table><tr><th>Test</th><th>Clauses</th><th>Outcome</th>"
               "<th>Expected</th><th>Duration (s)</th></tr>")
    for test in report["tests"]:
        column = "VARIANT" if test["outcome"].startswith("VARIANT-") else test["outcome"]
        cls = column + ("" if test["as_expected"] else " unexpected")
        out.append(
            f'<tr class="{_e(cls)}"><td><code>{_e(test["nodeid"])}</code></td>'
            f'<td>{_e(", ".join(test["clauses"]))}</td><td>{_e(test["outcome"])}</td>'
            f'<td>{_e(" or ".join(test["expected"]))}</td><td class="num">{_e(test["duration"])}</td></tr>'
        )
    out.append("</table>")
    problems = [t for t in report["tests"]
                if not t["as_expected"] or t["outcome"] in (FAIL, DEVIATION, ERROR)]
    if problems:
        out.append("<h2>Failures, deviations and unexpected results</h2>")
    for test in problems:
        verdict = "" if test["as_expected"] else f" — {test['verdict'].replace('_', ' ')}"
        out += [
            f"<h3><code>{_e(test['nodeid'])}</code></h3>",
            f"<p><b>{_e(test['outcome'])}</b>, expected {_e(' or '.join(test['expected']))}{_e(verdict)}"
            + (f" ({_e(test['expectation_reason'])})" if test["expectation_reason"] else "")
            + f"<br>Clauses: {_e(', '.join(test['clauses']))} ({_e(test['grade'])})"
            + f"<br>Reproduce: <code>{_e(test['repro'])}</code></p>",
            f"<pre>{_e(test['message'].strip() or '(no message)')}</pre>",
        ]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_junit(report: Mapping[str, Any]) -> str:
    """JUnit XML: one <testcase> per test, with clause/grade/outcome properties."""
    tests = report["tests"]
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    suite = ET.Element("testsuite", name="multitenant-dicom-conformance", tests=str(len(tests)),
                       time=str(report["run"]["duration"]), timestamp=str(report["run"]["started"]))
    for test in tests:
        module, _, name = test["nodeid"].partition("::")
        case = ET.SubElement(suite, "testcase", classname=module.removesuffix(".py").replace("/", "."),
                             name=name or module, time=str(test["duration"]))
        props = ET.SubElement(case, "properties")
        for key in ("clauses", "grade", "outcome", "expected", "verdict", "repro"):
            value = test[key]
            text = ",".join(value) if isinstance(value, list) else str(value)
            ET.SubElement(props, "property", name=key, value=text)
        outcome, message = test["outcome"], test["message"]
        if outcome in (FAIL, DEVIATION) and test["as_expected"]:
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", type="expected",
                          message=f"expected {outcome}: {test['expectation_reason']}").text = message
        elif outcome in (FAIL, DEVIATION) or (not test["as_expected"] and outcome != ERROR):
            counts["failures"] += 1
            label = outcome if test["as_expected"] else f"{test['verdict']}: {outcome}"
            ET.SubElement(case, "failure", type=label, message=message.splitlines()[0] if message else label
                          ).text = message
        elif outcome == ERROR:
            counts["errors"] += 1
            ET.SubElement(case, "error", type=ERROR, message=message.splitlines()[0] if message else ERROR
                          ).text = message
        elif outcome == SKIP:
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", type="skip", message=message)
    for key, value in counts.items():
        suite.set(key, str(value))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def write_reports(report: Mapping[str, Any], directory: Path) -> list[Path]:
    """Write JSON, JUnit XML, HTML and Markdown files into ``directory`` atomically; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    outputs = {
        f"{REPORT_BASENAME}.json": json.dumps(report, indent=2) + "\n",
        f"{REPORT_BASENAME}.junit.xml": render_junit(report),
        f"{REPORT_BASENAME}.html": render_html(report),
        f"{REPORT_BASENAME}.md": render_markdown(report),
    }
    paths: list[Path] = []
    for name, text in outputs.items():
        path = directory / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return paths
