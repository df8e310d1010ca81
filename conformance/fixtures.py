"""The suite's fixtures (registered by ``conformance.plugin``); every one can be overridden in a conftest.

Strategy: the target is started once per session, lazily (a run that requests none of these fixtures
starts nothing). ``target`` turns the plan validated at configure time into a :class:`TargetInfo`:
for a managed target it starts the implementation through ``conformance.launchers.start_target``
with the suite's storage SCP and querying AET in ``DicomModalities``; for an external target it
checks that every tenant answers C-ECHO. Per-test fixtures (``dimse``, ``archive_builder``,
``uid_prefix``) are cheap; ``archive_builder`` deletes what the test put in the archive.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conformance.admin import AdminClient
from conformance.clauses import CLAUSES
from conformance.dimse import DimseClient
from conformance.errors import HarnessError, TargetStartError
from conformance.scp import StorageSCP
from conformance.seeding import ArchiveBuilder, new_uid_prefix
from conformance.targets import (
    QUERY_AET,
    SCP_MODALITY,
    TARGET_INFO_KEY,
    TARGET_PLAN_KEY,
    TargetInfo,
    TargetPlan,
    TenantInfo,
)

DIMSE_TIMEOUT = 10.0  # seconds; Orthanc's tenants are configured with DicomScpTimeout 10 as well

RecordVariant = Callable[[str, str], None]


def managed_spec(plan: TargetPlan, scp: StorageSCP, tenants: tuple[TenantInfo, ...] | None = None,
                 options: dict[str, Any] | None = None) -> Any:
    """The launcher's TargetSpec for ``plan`` (or for other tenants/options: a second small target)."""
    from conformance.launchers.spec import ModalitySpec, TargetSpec, TenantSpec

    specs = tuple(TenantSpec(aet=t.aet, labels=t.labels, constraint=t.constraint,  # type: ignore[arg-type]
                             store_levels=t.store_levels if t.store_levels_explicit else None)
                  for t in (plan.tenants if tenants is None else tenants))
    modalities = {
        SCP_MODALITY: ModalitySpec(aet=scp.aet, host=scp.host, port=scp.port),
        QUERY_AET: ModalitySpec(aet=QUERY_AET, host="127.0.0.1", port=scp.port, allow_find=True,
                                allow_move=True),
    }
    return TargetSpec(main_aet=plan.main_aet or "ORTHANC", tenants=specs, modalities=modalities,
                      options=dict(plan.options if options is None else options))


@contextlib.contextmanager
def start_managed(impl: str, spec: Any, workdir: Path) -> Iterator[Any]:
    """``conformance.launchers.start_target`` with its failures turned into TargetStartError."""
    from conformance.launchers import start_target

    try:
        running = start_target(impl, spec, workdir)
    except Exception as exc:  # the launcher's errors carry the reason and the log tail
        raise TargetStartError(f"could not start the managed target {impl!r}: {exc}") from exc
    with running:
        yield running


def _external_check(plan: TargetPlan) -> None:
    silent = [t.aet for t in plan.tenants
              if DimseClient(t.host, t.port, t.aet, QUERY_AET, DIMSE_TIMEOUT).echo().final_status != 0]
    if len(silent) == len(plan.tenants):
        raise TargetStartError(f"no tenant of the external target answers C-ECHO: {', '.join(silent)}")


def _register_suite_modalities(client: AdminClient, scp: StorageSCP) -> None:
    """An external target learns the suite's AETs through ``PUT /modalities`` (read live, CFG-7)."""
    client.put_modality(SCP_MODALITY, scp.aet, scp.host, scp.port)
    client.put_modality(QUERY_AET, QUERY_AET, "127.0.0.1", scp.port, AllowFind=True, AllowMove=True)


@pytest.fixture(scope="session")
def target_plan(pytestconfig: pytest.Config) -> TargetPlan:
    """What the options asked for (validated at configure time)."""
    return pytestconfig.stash[TARGET_PLAN_KEY]


@pytest.fixture(scope="session")
def _suite_scp(target_plan: TargetPlan) -> Iterator[StorageSCP]:
    with StorageSCP(target_plan.scp_aet, target_plan.scp_port) as scp:
        yield scp


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, target_plan: TargetPlan, _suite_scp: StorageSCP,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetInfo]:
    """The target of the run, started (managed) or checked (external) once per session."""
    plan = target_plan
    if plan.kind == "external":
        _external_check(plan)
        version = None
        if plan.admin_url:
            client = AdminClient(plan.admin_url, timeout=10)
            try:
                version = str(client.system().get("Version"))
                _register_suite_modalities(client, _suite_scp)
            finally:
                client.close()
        info = TargetInfo(plan.impl, plan.host, plan.main_aet, plan.main_port, plan.admin_url, version,
                          plan.tenants, plan.options, plan.variants_claimed)
        pytestconfig.stash[TARGET_INFO_KEY] = info
        yield info
        return
    workdir = tmp_path_factory.mktemp(f"target-{plan.impl}")
    with start_managed(plan.impl, managed_spec(plan, _suite_scp), workdir) as running:
        ports: dict[str, int] = running.tenant_ports
        info = TargetInfo(
            impl=plan.impl, host=running.host, main_aet=running.dicom_aet, main_port=running.dicom_port,
            admin_url=running.http_url, version=running.version or None,
            tenants=tuple(replace(t, port=ports[t.aet]) for t in plan.tenants),
            options={**plan.options, "log_path": str(running.log_path)},
            variants_claimed=plan.variants_claimed)
        pytestconfig.stash[TARGET_INFO_KEY] = info
        yield info


@pytest.fixture(scope="session")
def tenants(target: TargetInfo) -> tuple[TenantInfo, ...]:
    """Every tenant of the target."""
    return target.tenants


@pytest.fixture
def tenant(request: pytest.FixtureRequest, target: TargetInfo) -> TenantInfo:
    """The tenant under test; the plugin parametrizes it over the target's tenants (ids = AETs)."""
    aet = getattr(request, "param", None)
    if aet is None:
        raise HarnessError("the 'tenant' fixture is parametrized by the plugin; do not request it "
                           "from a fixture outside a test")
    return target.tenant(str(aet))


@pytest.fixture(scope="session")
def admin(target: TargetInfo) -> Iterator[AdminClient]:
    """The admin REST API of the target."""
    if target.admin_url is None:
        pytest.skip("the target has no admin REST API (give --admin-url)")
    client = AdminClient(target.admin_url)
    yield client
    client.close()


@pytest.fixture
def dimse(tenant: TenantInfo) -> DimseClient:
    """A DIMSE client bound to the tenant under test, calling as the known AET MTCONF."""
    return DimseClient(tenant.host, tenant.port, tenant.aet, QUERY_AET, timeout=DIMSE_TIMEOUT)


@pytest.fixture
def main_dimse(target: TargetInfo) -> DimseClient:
    """A DIMSE client bound to the main DICOM server (sees the whole archive)."""
    if target.main_port is None or target.main_aet is None:
        pytest.skip("the target did not declare its main DICOM server (DicomAet/DicomPort)")
    return DimseClient(target.host, target.main_port, target.main_aet, QUERY_AET, timeout=DIMSE_TIMEOUT)


@pytest.fixture(scope="session")
def storage_scp(target: TargetInfo, _suite_scp: StorageSCP) -> StorageSCP:
    """The suite's C-MOVE destination, known to the target as DicomModalities.SUITESCP.

    A managed target has it in its configuration; an external one gets it through REST when its
    admin URL is known (else its configuration must list it).

    Session-scoped: filter what it received by your test's UIDs, or call ``clear()`` first.
    """
    return _suite_scp


@pytest.fixture
def record_variant(request: pytest.FixtureRequest) -> RecordVariant:
    """``record_variant(clause_id, alternative)``: the variant alternative the target showed."""
    item = request.node

    def record(clause_id: str, alternative: str) -> None:
        clause = CLAUSES.get(clause_id)
        if clause is None or clause.grade != "variant":
            raise HarnessError(f"record_variant: {clause_id!r} is not a variant clause")
        if alternative not in clause.alternatives:
            raise HarnessError(f"record_variant: {alternative!r} is not an alternative of {clause_id} "
                               f"({', '.join(clause.alternatives)})")
        item.user_properties.append(("variant", {clause_id: alternative}))

    return record


@pytest.fixture(scope="session")
def model() -> ModuleType:
    """The independent model of SPEC.md (``conformance.model``), for tests that prefer a fixture."""
    return importlib.import_module("conformance.model")


@pytest.fixture
def uid_prefix() -> str:
    """A unique ``2.25.<n>`` UID root for this test."""
    return new_uid_prefix()


@pytest.fixture
def archive_builder(admin: AdminClient, uid_prefix: str) -> Iterator[ArchiveBuilder]:
    """Uploads and labels instances under ``uid_prefix``; deletes them all at teardown."""
    builder = ArchiveBuilder(admin, uid_prefix)
    yield builder
    problems = builder.cleanup()
    if problems:
        raise HarnessError("archive cleanup failed: " + "; ".join(problems))
