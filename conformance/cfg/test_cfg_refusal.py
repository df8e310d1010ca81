"""CFG-1..CFG-6: a configuration with one bad tenant key makes the implementation refuse to start.

Managed targets only: the implementation is run on a hand-written configuration (``startup.py``).
Refusing means exiting with a non-zero code without ever serving the REST API. A control case (the
same configuration, unbroken) must start, so a harness that cannot start anything fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.cfg.startup import STARTABLE_IMPLS, Launch, launch_for, try_start, valid_config
from conformance.targets import TargetPlan

Mutation = Callable[[dict[str, Any]], None]


def _tenant(config: dict[str, Any]) -> dict[str, Any]:
    tenant: dict[str, Any] = config["MultitenantDicom"]["Servers"][0]
    return tenant


def _set(key: str, value: Any) -> Mutation:
    return lambda config: _tenant(config).__setitem__(key, value)


def _drop(key: str) -> Mutation:
    return lambda config: _tenant(config).pop(key)


def _servers(value: Any) -> Mutation:
    return lambda config: config["MultitenantDicom"].__setitem__("Servers", value)


#: (case id, clause, how to break the configuration)
BAD_CONFIGS: list[tuple[str, str, Mutation]] = [
    ("servers-object", "CFG-1", _servers({"AET": "CFGTEST"})),
    ("servers-string", "CFG-1", _servers("CFGTEST")),
    ("aet-missing", "CFG-2", _drop("AET")),
    ("aet-empty", "CFG-2", _set("AET", "")),
    ("aet-17-chars", "CFG-2", _set("AET", "A" * 17)),
    ("aet-number", "CFG-2", _set("AET", 42)),
    ("port-missing", "CFG-3", _drop("Port")),
    ("port-string", "CFG-3", _set("Port", "4343")),
    ("port-negative", "CFG-3", _set("Port", -1)),
    ("labels-missing", "CFG-4", _drop("Labels")),
    ("labels-string", "CFG-4", _set("Labels", "c")),
    ("label-with-space", "CFG-4", _set("Labels", ["c", "bad label"])),
    ("label-65-chars", "CFG-4", _set("Labels", ["x" * 65])),
    ("constraint-lowercase", "CFG-5", _set("LabelsConstraint", "all")),
    ("constraint-unknown", "CFG-5", _set("LabelsConstraint", "Most")),
    ("store-level-unknown", "CFG-6", _set("LabelsStoreLevels", ["Study", "Bogus"])),
    ("store-levels-string", "CFG-6", _set("LabelsStoreLevels", "Study")),
]


@pytest.fixture(scope="module")
def launch(target_plan: TargetPlan, tmp_path_factory: pytest.TempPathFactory) -> Launch:
    if target_plan.kind != "managed" or target_plan.impl not in STARTABLE_IMPLS:
        pytest.skip(f"starting with a hand-written configuration needs a managed {'/'.join(STARTABLE_IMPLS)} "
                    f"target (this run: {target_plan.impl})")
    return launch_for(target_plan.impl, Path(tmp_path_factory.mktemp("cfg-launch")))


@pytest.mark.clause("CFG-1", "CFG-8")
def test_control_configuration_starts(launch: Launch, tmp_path: Path) -> None:
    outcome = try_start(launch, valid_config(launch, tmp_path), tmp_path)
    assert outcome.started, f"the unbroken configuration did not start: {outcome.describe()}"


@pytest.mark.clause("CFG-1")
@pytest.mark.parametrize("servers", [None, []], ids=["absent", "empty"])
def test_no_tenant_configuration_starts(launch: Launch, tmp_path: Path, servers: list[Any] | None) -> None:
    config = valid_config(launch, tmp_path)
    if servers is None:
        del config["MultitenantDicom"]
    else:
        config["MultitenantDicom"]["Servers"] = servers
    outcome = try_start(launch, config, tmp_path)
    assert outcome.started, f"MultitenantDicom.Servers {servers!r}: {outcome.describe()}"


@pytest.mark.parametrize(("case", "clause", "mutate"),
                         [pytest.param(case, clause, mutate, id=case, marks=pytest.mark.clause(clause))
                          for case, clause, mutate in BAD_CONFIGS])
def test_bad_tenant_configuration_is_refused(launch: Launch, tmp_path: Path, case: str, clause: str,
                                             mutate: Mutation) -> None:
    config = valid_config(launch, tmp_path)
    mutate(config)
    outcome = try_start(launch, config, tmp_path)
    assert not outcome.started and outcome.exit_code not in (None, 0), (
        f"{case} ({clause}) was not refused: {outcome.describe()}")


@pytest.mark.clause("CFG-4")
def test_refusal_names_the_invalid_label(launch: Launch, tmp_path: Path) -> None:
    config = valid_config(launch, tmp_path)
    _tenant(config)["Labels"] = ["c", "bad label"]
    outcome = try_start(launch, config, tmp_path)
    assert not outcome.started, outcome.describe()
    assert "bad label" in outcome.output, f"the error does not name the label: {outcome.describe()}"
