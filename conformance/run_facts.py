"""The facts of a run that do not come from the tests: what the target is, which suite ran, when.

Read defensively: the target description is the ``TargetInfo`` in ``config.stash`` (once the target
started) or else the ``TargetPlan`` (known from the options), either of which may be absent.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from conformance.targets import OPT_IMPL, TARGET_INFO_KEY, TARGET_PLAN_KEY, TargetInfo, TargetPlan


def impl_of(config: pytest.Config) -> str | None:
    """--impl, else the implementation of the target plan (managed reference by default)."""
    value = config.getoption(OPT_IMPL, default=None)
    if isinstance(value, str):
        return value
    plan = target_plan(config)
    return plan.impl if plan is not None else None


def target_plan(config: pytest.Config) -> TargetPlan | None:
    return config.stash.get(TARGET_PLAN_KEY, None)


def target_info(config: pytest.Config) -> TargetInfo | None:
    return config.stash.get(TARGET_INFO_KEY, None)


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def target_facts(config: pytest.Config) -> dict[str, Any]:
    source = target_info(config) or target_plan(config)
    facts: dict[str, Any] = jsonable(source) if source is not None else {}
    facts = {key: facts[key] for key in facts if key not in ("kind",)}
    facts.setdefault("impl", impl_of(config) or "unknown")
    for key in ("host", "main_aet", "main_port", "admin_url", "version"):
        facts.setdefault(key, None)
    facts.setdefault("tenants", [])
    facts.setdefault("variants_claimed", {})
    facts["started"] = target_info(config) is not None
    return facts


SUITE_DIR = Path(__file__).resolve().parent


def git_revision(root: Path = SUITE_DIR) -> str | None:
    """The git commit of the suite's checkout (not of the rootdir of the run), if it is one."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def suite_version() -> str | None:
    try:
        return str(metadata.version("multitenant-dicom-conformance"))
    except metadata.PackageNotFoundError:
        return None


def iso_utc(timestamp: float) -> str:
    return str(datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds"))
