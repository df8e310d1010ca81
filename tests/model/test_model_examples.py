"""The strategies, the materialized test data and the raw PDUs agree with the model."""

from __future__ import annotations

from hypothesis import given, settings
from pynetdicom.pdu import A_ASSOCIATE_RQ

from conformance.iso.pdus import associate_rq, with_length
from conformance.model import Level, ResourceKey, expected_find
from conformance.model.expected import Tenant
from conformance.scenarios import dataset_values, fresh_names, materialize, model_of
from conformance.strategies import (
    ArchiveSpec,
    QuerySpec,
    archives,
    fixed_archive,
    queries,
    render,
    render_identifier,
    split_labels,
)


def test_fixed_archive_materializes_to_the_model() -> None:
    spec = fixed_archive(
        patients=2, studies=2, series=2, labels=split_labels(frozenset({"a"}), frozenset({"zz"}))
    )
    token, root = fresh_names()
    datasets = materialize(spec, token, root)
    labels = {ResourceKey(level, render(t, token, root)): wanted for level, t, wanted in spec.labels}
    archive = model_of(datasets, labels)
    assert [len(list(archive.at(level))) for level in Level] == [2, 4, 8, 8]
    assert archive.get(ResourceKey(Level.STUDY, f"{root}.0.1")).labels == {"zz"}
    assert archive.get(ResourceKey(Level.PATIENT, f"{token}-P1")).labels == {"a"}
    values = dataset_values(datasets[0])
    assert values["PatientID"] == f"{token}-P0" and values["AccessionNumber"] == f"{token}A00"
    assert "ReferringPhysicianName" not in values  # absent, so FIND-6 expects it omitted
    tenant = Tenant("T", ("a",), "All")
    visible_series = expected_find(archive, tenant, Level.SERIES, {"PatientID": f"{token}-*"})
    assert visible_series.exact and len(visible_series.must) == 4


@settings(max_examples=30, deadline=None)
@given(data=archives(("a", "b", "zz")).flatmap(lambda spec: queries(spec).map(lambda q: (spec, q))))
def test_drawn_queries_render_and_stay_scoped(data: tuple[ArchiveSpec, QuerySpec]) -> None:
    spec, query = data
    token, root = fresh_names()
    keys = render_identifier(query, token, root)
    assert "{" not in "".join(keys.values())
    assert len(spec.instances) <= 8
    archive = model_of(materialize(spec, token, root), {})
    exp = expected_find(archive, Tenant("T", (), "All"), query.level, keys)
    assert exp.must <= exp.may


def test_associate_rq_is_well_formed() -> None:
    raw = associate_rq(b"ALL_AB", b"MTCONF")
    pdu = A_ASSOCIATE_RQ()
    pdu.decode(raw)
    assert pdu.called_ae_title == "ALL_AB" and pdu.calling_ae_title == "MTCONF"
    assert int.from_bytes(raw[2:6], "big") == len(raw) - 6
    assert int.from_bytes(with_length(raw, 7)[2:6], "big") == 7
