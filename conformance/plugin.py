"""pytest11 entry point of the conformance suite: options, markers, parametrization, header — thin.

Parsing lives in ``conformance.targets``, fixtures in ``conformance.fixtures``, outcomes and reports
in ``conformance.report_plugin``. The plugin is inert in a run without conformance tests: it starts
nothing (the target starts when a test first needs it) and prints nothing unless asked for a target.
A conformance test (one under this package, or one using the suite's fixtures) without a valid
``@pytest.mark.clause`` is a collection error.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from conformance import targets as t
from conformance.clauses import CLAUSES

CLAUSE_MARKER = "clause"
TENANT_FILTER_MARKER = "tenant_filter"
SUITE_DIR = Path(__file__).resolve().parent
SUITE_FIXTURES = frozenset({"target", "tenant", "tenants", "admin", "dimse", "main_dimse", "storage_scp",
                            "record_variant", "archive_builder"})
_COMPANION_PLUGINS = ("conformance.fixtures",)  # report_plugin has its own pytest11 entry point

try:  # hypothesis is a test extra; without it the profiles are simply not registered
    from hypothesis import HealthCheck, settings

    # Conformance tests reuse function-scoped fixtures (clients, archive_builder) across examples on
    # purpose: every example derives fresh UIDs, so they cannot leak state into each other.
    _SUPPRESSED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.differing_executors]
    settings.register_profile("quick", max_examples=10, deadline=None, suppress_health_check=_SUPPRESSED)
    settings.register_profile("thorough", max_examples=200, deadline=None, suppress_health_check=_SUPPRESSED)
    _HAS_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    _HAS_HYPOTHESIS = False


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup(t.OPTION_GROUP, "multitenant DICOM conformance")
    group.addoption("--target", dest=t.OPT_TARGET, metavar="HOST:PORT",
                    help="an external tenant's DICOM endpoint (needs --target-config)")
    group.addoption("--target-aet", dest=t.OPT_TARGET_AET, metavar="AET",
                    help="the external tenant's AET (selects it in --target-config)")
    group.addoption("--admin-url", dest=t.OPT_ADMIN_URL, metavar="URL",
                    help="the external target's admin REST API (default: HttpPort of --target-config)")
    group.addoption("--target-config", dest=t.OPT_TARGET_CONFIG, metavar="FILE",
                    help="the external target's Orthanc configuration (MultitenantDicom.Servers, ...)")
    group.addoption("--scp-aet", dest=t.OPT_SCP_AET, metavar="AET",
                    help=f"AET of the suite's storage SCP (C-MOVE destination; default {t.SCP_AET})")
    group.addoption("--scp-port", dest=t.OPT_SCP_PORT, metavar="PORT",
                    help="port of the suite's storage SCP on 127.0.0.1 (default: chosen by the OS)")
    group.addoption("--impl", dest=t.OPT_IMPL, choices=t.IMPLS,
                    help="start a managed target: " + "|".join(t.IMPLS) + " (default: reference)")
    for name in _COMPANION_PLUGINS:
        module = importlib.import_module(name)
        if not pluginmanager.is_registered(module):
            pluginmanager.register(module, name)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{CLAUSE_MARKER}(*ids): the SPEC.md clause IDs a test checks")
    config.addinivalue_line("markers", f"{TENANT_FILTER_MARKER}(predicate): parametrize 'tenant' only over "
                            "the tenants for which predicate(TenantInfo) is true (use .with_args(fn))")
    config.stash[t.TARGET_PLAN_KEY] = t.plan_from_options(config)
    # The "quick" hypothesis profile is the default of conformance runs only (test modules read it
    # when they are imported, so it must be loaded now, not once the items are known).
    profile_given = config.getoption("hypothesis_profile", default=None) is not None
    if _HAS_HYPOTHESIS and not profile_given and _asked_for(config):
        settings.load_profile("quick")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "tenant" not in metafunc.fixturenames:
        return
    plan = metafunc.config.stash[t.TARGET_PLAN_KEY]
    chosen = list(plan.tenants)
    for marker in metafunc.definition.iter_markers(TENANT_FILTER_MARKER):
        chosen = [tenant for tenant in chosen if marker.args[0](tenant)]
    aets = [tenant.aet for tenant in chosen]
    metafunc.parametrize("tenant", aets, indirect=True, ids=aets, scope="function")


def _is_conformance_item(item: pytest.Item) -> bool:
    if SUITE_DIR in item.path.resolve().parents:
        return True
    return _uses_suite_fixtures(item)


def _uses_suite_fixtures(item: pytest.Item) -> bool:
    """True when the item uses one of *this suite's* fixtures: a project's own fixture that happens to
    be called ``target`` or ``admin`` overrides ours and does not make its tests conformance tests."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name in SUITE_FIXTURES & set(info.names_closure):
        definitions = info.name2fixturedefs.get(name, ())
        if definitions and getattr(definitions[-1].func, "__module__", "") == "conformance.fixtures":
            return True
    return False


def _marker_problem(item: pytest.Item) -> str | None:
    ids = [str(arg) for marker in item.iter_markers(CLAUSE_MARKER) for arg in marker.args]
    if not ids:
        return f"{item.name}: a conformance test needs @pytest.mark.{CLAUSE_MARKER}(\"CLAUSE-ID\", ...)"
    unknown = [clause_id for clause_id in ids if clause_id not in CLAUSES]
    if unknown:
        return f"{item.name}: unknown clause ID(s) {', '.join(unknown)} (see conformance/clauses.py)"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """Turn a collector's report into a collection error when one of its tests lacks a valid clause."""
    report = yield
    if report.outcome != "passed" or not report.result:
        return report
    problems = [problem for item in report.result
                if isinstance(item, pytest.Item) and _is_conformance_item(item)
                and (problem := _marker_problem(item)) is not None]
    if problems:
        report.outcome = "failed"
        report.longrepr = "\n".join(dict.fromkeys(problems))
        report.result = []
    return report


def _describe_tenant(tenant: t.TenantInfo) -> str:
    where = f"@{tenant.port}" if tenant.port else ""
    levels = ",".join(tenant.store_levels) + ("" if tenant.store_levels_explicit else " (default)")
    return f"{tenant.aet}{where}[{','.join(tenant.labels) or '-'} {tenant.constraint}; store {levels or '-'}]"


def _asked_for(config: pytest.Config) -> bool:
    options = (t.OPT_TARGET, t.OPT_TARGET_CONFIG, t.OPT_IMPL, t.OPT_TARGET_AET, t.OPT_ADMIN_URL)
    if any(config.getoption(name) is not None for name in options):
        return True
    paths = [Path(str(arg).split("::")[0]).resolve() for arg in config.args]
    return any(path == SUITE_DIR or SUITE_DIR in path.parents for path in paths)


def _external_version(plan: t.TargetPlan) -> str:
    """The external target's version from GET /system (a short, bounded request)."""
    if plan.admin_url is None:
        return "(version unknown: no admin URL)"
    from conformance.admin import AdminClient

    client = AdminClient(plan.admin_url, timeout=3)
    try:
        return str(client.system().get("Version", "(no Version in GET /system)"))
    except Exception as exc:  # the header must never break the run; the fixtures report it properly
        return f"(version unknown: {type(exc).__name__})"
    finally:
        client.close()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not _asked_for(config):
        return None
    plan = config.stash[t.TARGET_PLAN_KEY]
    where = (f"managed {plan.impl} (started on first use; its version is printed at the end)"
             if plan.kind == "managed"
             else f"external {_external_version(plan)} at {plan.host}, "
                  f"main {plan.main_aet}@{plan.main_port}, admin {plan.admin_url}")
    return [f"multitenant-conformance target: {where}",
            "tenants: " + "  ".join(_describe_tenant(tenant) for tenant in plan.tenants)]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    info = config.stash.get(t.TARGET_INFO_KEY, None)
    if info is None:
        return
    terminalreporter.write_sep("-", "multitenant-conformance target")
    terminalreporter.write_line(f"{info.impl} {info.version or '(version unknown)'}: main "
                                f"{info.main_aet}@{info.host}:{info.main_port}, admin {info.admin_url}")
    terminalreporter.write_line("tenants: " + "  ".join(_describe_tenant(tenant) for tenant in info.tenants))
