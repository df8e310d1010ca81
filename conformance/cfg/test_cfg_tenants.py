"""CFG-4, CFG-6 and CFG-8 as seen from outside a started target.

CFG-6 level names (case, plurals, ``Image``) and CFG-4 duplicate labels need tenants the main target
does not have: for managed targets a second small target is started with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.admin import AdminClient
from conformance.dimse import DimseClient
from conformance.fixtures import DIMSE_TIMEOUT, managed_spec, start_managed
from conformance.scp import StorageSCP
from conformance.seeding import ArchiveBuilder, new_uid_prefix
from conformance.status import Status, expected_message
from conformance.targets import DEFAULT_STORE_LEVELS, LEVELS, QUERY_AET, TargetInfo, TargetPlan, TenantInfo

#: Raw LabelsStoreLevels spellings and the levels they mean (CFG-6).
ALIASES = ("patients", "STUDY", "image")
ALIASES_MEAN = ("Patient", "Study", "Instance")


@dataclass(frozen=True)
class SecondTarget:
    admin: AdminClient
    aliases: TenantInfo  # LabelsStoreLevels spelled ALIASES
    duplicates: TenantInfo  # Labels ["d", "d"]


def _not_explicit(tenant: TenantInfo) -> bool:
    return not tenant.store_levels_explicit and bool(tenant.labels)


@pytest.fixture(scope="module")
def second_target(target_plan: TargetPlan, storage_scp: StorageSCP,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecondTarget]:
    if target_plan.kind != "managed":
        pytest.skip("needs tenants configured by the suite (a managed target)")
    aliases = TenantInfo("ALIASES", "127.0.0.1", 0, ("al",), "All", ALIASES)
    duplicates = TenantInfo("DUPLICATES", "127.0.0.1", 0, ("d", "d"), "All", DEFAULT_STORE_LEVELS, False)
    spec = managed_spec(target_plan, storage_scp, tenants=(aliases, duplicates))
    with start_managed(target_plan.impl, spec, Path(tmp_path_factory.mktemp("cfg-target"))) as running:
        ports = running.tenant_ports
        admin = AdminClient(running.http_url)
        yield SecondTarget(admin, TenantInfo("ALIASES", "127.0.0.1", ports["ALIASES"], ("al",), "All",
                                             ALIASES_MEAN),
                           TenantInfo("DUPLICATES", "127.0.0.1", ports["DUPLICATES"], ("d",), "All",
                                      DEFAULT_STORE_LEVELS, False))
        admin.close()


def _store_and_read(tenant: TenantInfo, builder: ArchiveBuilder) -> dict[str, set[str]]:
    ds = builder.dataset()
    result = DimseClient(tenant.host, tenant.port, tenant.aet, QUERY_AET, DIMSE_TIMEOUT).store(ds)
    assert result.final_status == Status.SUCCESS, expected_message(Status.SUCCESS, result.final_status)
    return builder.labels_by_level(str(ds.SOPInstanceUID))


@pytest.mark.clause("CFG-6")
def test_store_level_names_accept_case_plurals_and_image(second_target: SecondTarget) -> None:
    builder = ArchiveBuilder(second_target.admin, new_uid_prefix())
    labels = _store_and_read(second_target.aliases, builder)
    expected = {level: {"al"} if level in ALIASES_MEAN else set() for level in LEVELS}
    assert labels == expected, f"LabelsStoreLevels {list(ALIASES)}: labels {labels}, expected {expected}"


@pytest.mark.clause("CFG-4")
def test_duplicate_labels_collapse(second_target: SecondTarget) -> None:
    builder = ArchiveBuilder(second_target.admin, new_uid_prefix())
    _store_and_read(second_target.duplicates, builder)
    ids = builder.locate(builder.spec().sop_uid)  # the instance builder.dataset() made
    assert ids is not None, "the stored instance is not in the archive"
    admin = second_target.admin
    listed = {level: admin.labels(level, ids[level]) for level in ("Study", "Series", "Instance")}
    assert listed == {level: ["d"] for level in listed}, f"Labels [\"d\", \"d\"] left {listed}"


@pytest.mark.clause("CFG-6")
@pytest.mark.tenant_filter.with_args(_not_explicit)
def test_default_store_levels_are_study_series_instance(dimse: DimseClient, tenant: TenantInfo,
                                                         archive_builder: ArchiveBuilder) -> None:
    ds = archive_builder.dataset()
    result = dimse.store(ds)
    assert result.final_status == Status.SUCCESS, expected_message(Status.SUCCESS, result.final_status)
    labels = archive_builder.labels_by_level(str(ds.SOPInstanceUID))
    assert labels["Patient"] == set(), f"the default store levels labelled the patient: {labels}"
    for level in ("Study", "Series", "Instance"):
        assert labels[level] == set(tenant.labels), (
            f"{level} labels {labels[level]}, expected {tenant.labels}")


@pytest.mark.clause("CFG-8")
def test_ready_target_answers_on_main_server_rest_and_every_tenant(
        target: TargetInfo, main_dimse: DimseClient, admin: AdminClient) -> None:
    system = admin.system()
    assert system.get("DicomAet") == target.main_aet, f"GET /system DicomAet: {system.get('DicomAet')}"
    assert system.get("DicomPort") == target.main_port, f"GET /system DicomPort: {system.get('DicomPort')}"
    assert main_dimse.echo().final_status == Status.SUCCESS, "the main server does not answer C-ECHO"
    clients = {t.aet: DimseClient(t.host, t.port, t.aet, QUERY_AET, DIMSE_TIMEOUT) for t in target.tenants}
    silent = [aet for aet, client in clients.items() if client.echo().final_status != Status.SUCCESS]
    assert not silent, f"tenants not answering C-ECHO once the target is ready: {silent}"
