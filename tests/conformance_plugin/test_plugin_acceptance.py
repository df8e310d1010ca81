"""Acceptance tests of the conformance plugin, run in a subprocess with ``pytester``.

Usage errors are one clear line and exit code 4 (never a traceback); a conformance test without a
valid clause marker is a collection error; the plugin starts nothing and prints nothing in a run
without conformance tests; an external target's Orthanc configuration is read without starting it.
Every run goes to a subprocess so that the plugin's global effects (the hypothesis profile) stay there.
"""

from __future__ import annotations

import json
import textwrap

import pytest

pytest_plugins = ["pytester"]

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR
CONFIG = {
    "DicomAet": "MAIN", "DicomPort": 4242, "HttpPort": 8042,
    "MultitenantDicom": {"Servers": [
        {"AET": "HELLO", "Port": 4343, "Labels": ["hello", "hello"], "LabelsConstraint": "Any"},
        {"AET": "WORLD", "Port": 4344, "Labels": [], "LabelsStoreLevels": ["patients", "IMAGE"]},
    ]},
}

SHOW_PLAN = """
    import pytest

    def test_show_plan(target_plan):
        for tenant in target_plan.tenants:
            print("TENANT", tenant.aet, tenant.port, ",".join(tenant.labels), tenant.constraint,
                  ",".join(tenant.store_levels), tenant.store_levels_explicit)
        print("MAIN", target_plan.main_aet, target_plan.main_port, target_plan.admin_url)
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", *args)


def _assert_usage_error(result: pytest.RunResult, *fragments: str) -> None:
    assert result.ret == USAGE_ERROR, result.stdout.str() + result.stderr.str()
    error = result.stderr.str()
    assert "Traceback" not in error, error
    for fragment in fragments:
        assert fragment in error, error


@pytest.mark.parametrize(("args", "fragments"), [
    (["--impl=bogus"], ["--impl", "invalid choice", "bogus"]),
    (["--target=no-port"], ["--target='no-port'", "HOST:PORT"]),
    (["--target=localhost:99999"], ["HOST:PORT", "1..65535"]),
    (["--target=127.0.0.1:4343"], ["--target-config"]),
    (["--impl=orthanc", "--target-aet=X"], ["--impl=orthanc", "--target-aet"]),
    (["--scp-port=http"], ["--scp-port"]),
    (["--scp-aet=" + "A" * 17], ["--scp-aet", "1 to 16"]),
])
def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, args: list[str],
                                            fragments: list[str]) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    _assert_usage_error(_run(pytester, *args), *fragments)


@pytest.mark.parametrize(("config", "fragment"), [
    ("{not json", "not JSON"),
    (json.dumps({"MultitenantDicom": {"Servers": {"AET": "X"}}}),
     "MultitenantDicom.Servers must be an array"),
    (json.dumps({"MultitenantDicom": {"Servers": [{"AET": "X", "Port": 1, "Labels": "a"}]}}),
     "MultitenantDicom.Servers[0].Labels"),
    (json.dumps({"MultitenantDicom": {"Servers": [{"AET": "X", "Port": 1, "Labels": [],
                                                  "LabelsConstraint": "all"}]}}),
     "MultitenantDicom.Servers[0].LabelsConstraint"),
    (json.dumps({"MultitenantDicom": {"Servers": []}}), "lists no tenant"),
])
def test_bad_target_config_is_a_usage_error_naming_the_path(pytester: pytest.Pytester, config: str,
                                                            fragment: str) -> None:
    pytester.makefile(".json", target=config)
    pytester.makepyfile("def test_nothing():\n    pass\n")
    _assert_usage_error(_run(pytester, "--target-config=target.json"), fragment)


def test_external_target_config_is_read_without_starting_anything(pytester: pytest.Pytester) -> None:
    text = "// Orthanc accepts comments\n" + json.dumps(CONFIG).replace('"HttpPort"', '/* REST */ "HttpPort"')
    pytester.makefile(".json", target=text)
    pytester.makepyfile(SHOW_PLAN)
    result = _run(pytester, "--target-config=target.json")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines([
        "*TENANT HELLO 4343 hello Any Study,Series,Instance False*",
        "*TENANT WORLD 4344  All Patient,Instance True*",
        "*MAIN MAIN 4242 http://127.0.0.1:8042*",
    ])


def test_target_selects_one_tenant_of_the_config(pytester: pytest.Pytester) -> None:
    pytester.makefile(".json", target=json.dumps(CONFIG))
    pytester.makepyfile(SHOW_PLAN)
    result = _run(pytester, "--target-config=target.json", "--target=127.0.0.1:4344")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert "TENANT WORLD" in result.stdout.str() and "TENANT HELLO" not in result.stdout.str()
    _assert_usage_error(_run(pytester, "--target-config=target.json", "--target=127.0.0.1:5000"),
                        "no tenant", "5000")


def test_conformance_test_without_clause_marker_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unmarked="""
        def test_unmarked(target):
            pass
    """)
    result = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*ERROR collecting*test_unmarked.py*",
                                 "*test_unmarked: a conformance test needs @pytest.mark.clause*"])


def test_unknown_clause_id_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unknown="""
        import pytest

        @pytest.mark.clause("FIND-99")
        def test_unknown_clause(tenant):
            pass
    """)
    result = _run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*unknown clause ID(s) FIND-99*"])


def test_tenant_is_parametrized_over_the_planned_tenants_at_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_tenants=textwrap.dedent("""
        import pytest

        @pytest.mark.clause("ECHO-1")
        def test_each(tenant):
            pass

        @pytest.mark.clause("ECHO-1")
        @pytest.mark.tenant_filter.with_args(lambda t: t.constraint == "None")
        def test_none_only(tenant):
            pass
    """))
    result = _run(pytester, "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*test_each[[]ALL_AB[]]*", "*test_each[[]STORE_NO_LEVELS[]]*",
                                 "*test_none_only[[]NONE_A[]]*", "*test_none_only[[]NONE_EMPTY[]]*"])
    assert "test_none_only[ALL_AB]" not in result.stdout.str()


def test_plugin_is_inert_without_conformance_tests(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        from conformance.targets import TARGET_INFO_KEY

        def pytest_sessionfinish(session):
            print("TARGET-STARTED" if TARGET_INFO_KEY in session.config.stash else "NOTHING-STARTED")
    """)
    pytester.makepyfile(test_plain="""
        def test_plain():
            assert 1 + 1 == 2
    """)
    result = _run(pytester, "-v")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1)
    output = result.stdout.str()
    assert "NOTHING-STARTED" in output, output
    assert "multitenant-conformance target" not in output, output


def test_a_projects_own_fixture_named_like_ours_does_not_make_a_conformance_test(
        pytester: pytest.Pytester) -> None:
    """The plugin is installed for every pytest run: a project's own ``target``/``admin`` fixtures override
    the suite's and their tests need no clause marker; a test using the suite's own fixture does."""
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef target():\n    return 'mine'\n\n"
        "@pytest.fixture\ndef admin():\n    return 'mine too'\n")
    pytester.makepyfile(test_own="def test_uses_own_fixtures(target, admin):\n"
                                 "    assert (target, admin) == ('mine', 'mine too')\n")
    _run(pytester).assert_outcomes(passed=1)
    pytester.makepyfile(test_suite="def test_uses_the_suites_fixture(record_variant):\n    pass\n")
    result = _run(pytester, "test_suite.py")
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*needs @pytest.mark.clause*"])
