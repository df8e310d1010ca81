"""The archive: store/dedupe (STORE-3), labels, delete cascade (LBL-6), find, restart, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance
from reference.archive.archive import Archive, Resource
from reference.errors import ArchiveError, InvalidDicomError
from reference.rules.ids import resource_id_chain
from reference.rules.labels import NONE_EMPTY_UNLABELLED, Constraint
from reference.rules.levels import Level
from reference.rules.matching import Criterion, QueryError

P, ST, SE, IN = Level.PATIENT, Level.STUDY, Level.SERIES, Level.INSTANCE


def raw(patient: str = "P1", study: str = "1.2.3", series: str = "1.2.3.4", sop: str = "1.2.3.4.5",
        **extra: object) -> bytes:
    spec = InstanceSpec(patient_id=patient, study_uid=study, series_uid=series, sop_uid=sop,
                        extra=tuple(extra.items()))
    return instance_bytes(make_instance(spec))


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "store") as opened:
        yield opened


def test_store_indexes_every_level_with_orthanc_ids(archive: Archive) -> None:
    result = archive.store(raw())
    assert result.status == "Success"
    assert (result.ids.patient, result.ids.study, result.ids.series, result.ids.instance) == \
        resource_id_chain("P1", "1.2.3", "1.2.3.4", "1.2.3.4.5")
    study = archive.get(ST, result.ids.study)
    assert study is not None
    assert study.parent == result.ids.patient and study.children == (result.ids.series,)
    assert study.main_tags["StudyInstanceUID"] == "1.2.3"
    assert study.patient_main_tags["PatientID"] == "P1"
    assert archive.get(SE, result.ids.study) is None               # wrong level
    assert archive.read_instance(result.ids.instance) == raw()
    assert archive.instance_ids_of(ST, result.ids.study) == [result.ids.instance]


def test_store_applies_labels_per_level_only(archive: Archive) -> None:
    result = archive.store(raw(), {ST: frozenset({"a"}), IN: frozenset({"a", "b"})})
    assert archive.labels(P, result.ids.patient) == []
    assert archive.labels(ST, result.ids.study) == ["a"]
    assert archive.labels(SE, result.ids.series) == []
    assert archive.labels(IN, result.ids.instance) == ["a", "b"]
    assert archive.all_labels() == ["a", "b"]


def test_storing_again_unions_labels_and_keeps_the_file(archive: Archive) -> None:
    first = archive.store(raw(), {ST: frozenset({"a"})})
    again = archive.store(raw(), {ST: frozenset({"b"})})
    assert again.status == "AlreadyStored" and again.ids == first.ids
    assert archive.labels(ST, first.ids.study) == ["a", "b"]
    assert archive.list_ids(IN) == [first.ids.instance]


def test_second_instance_keeps_first_main_tags_of_parents(archive: Archive) -> None:
    first = archive.store(raw(StudyDescription="FIRST"))
    archive.store(raw(sop="1.2.3.4.6", StudyDescription="SECOND"))
    study = archive.get(ST, first.ids.study)
    assert study is not None and study.main_tags["StudyDescription"] == "FIRST"
    series = archive.get(SE, first.ids.series)
    assert series is not None and len(series.children) == 2


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("data", [b"", b"hello", b"\0" * 200, b"DICM" * 40])
def test_non_dicom_is_refused(archive: Archive, data: bytes) -> None:
    with pytest.raises(InvalidDicomError):
        archive.store(data)
    assert archive.list_ids(IN) == []


def test_missing_uid_is_refused(archive: Archive) -> None:
    spec = InstanceSpec(patient_id="P", study_uid="1.2", series_uid="1.2.3", sop_uid="1.2.3.4")
    ds: Dataset = make_instance(spec)
    del ds.SeriesInstanceUID
    with pytest.raises(InvalidDicomError, match="SeriesInstanceUID"):
        archive.store(instance_bytes(ds))


def test_invalid_store_label_is_refused(archive: Archive) -> None:
    with pytest.raises(ArchiveError):
        archive.store(raw(), {ST: frozenset({"not valid"})})
    assert archive.list_ids(IN) == []


def test_label_routes(archive: Archive) -> None:
    ids = archive.store(raw()).ids
    assert archive.add_label(SE, ids.series, "x")
    assert archive.add_label(SE, ids.series, "x")                 # idempotent
    assert archive.labels(SE, ids.series) == ["x"]
    assert archive.remove_label(SE, ids.series, "absent")          # absent: still fine
    assert archive.remove_label(SE, ids.series, "x")
    assert archive.labels(SE, ids.series) == []
    assert not archive.add_label(ST, ids.series, "x")              # wrong level
    assert not archive.add_label(SE, "nope", "x")
    with pytest.raises(ValueError):
        archive.add_label(SE, ids.series, "bad label")


def test_delete_cascades_to_children_labels_files_and_empty_parents(archive: Archive,
                                                                    tmp_path: Path) -> None:
    a = archive.store(raw(), {ST: frozenset({"s"}), SE: frozenset({"se"}), IN: frozenset({"i"})}).ids
    b = archive.store(raw(series="1.2.3.9", sop="1.2.3.9.1"), {SE: frozenset({"other"})}).ids
    assert archive.delete(SE, a.series)
    assert archive.get(SE, a.series) is None and archive.get(IN, a.instance) is None
    assert archive.get(ST, a.study) is not None                     # still has series b
    assert archive.all_labels() == ["other", "s"]
    assert not list((tmp_path / "store").rglob(f"{a.instance}*"))
    assert archive.delete(ST, b.study)
    assert archive.list_ids(P) == [] and archive.all_labels() == []
    assert not archive.delete(ST, b.study)
    assert not list((tmp_path / "store" / "files").rglob("*.dcm"))


def test_labels_and_resources_survive_a_restart(tmp_path: Path) -> None:
    with Archive(tmp_path) as first:
        ids = first.store(raw(), {ST: frozenset({"keep"})}).ids
        first.add_label(P, ids.patient, "pat")
    with Archive(tmp_path) as second:
        assert second.labels(ST, ids.study) == ["keep"]
        assert second.labels(P, ids.patient) == ["pat"]
        assert second.read_instance(ids.instance) == raw()
        assert second.recovered.orphan_files == () and second.recovered.missing_files == ()


def test_reopen_cleans_orphan_files_and_rows_without_files(tmp_path: Path) -> None:
    with Archive(tmp_path) as first:
        kept = first.store(raw()).ids
        lost = first.store(raw(patient="P2", study="9.1", series="9.1.1", sop="9.1.1.1")).ids
    (tmp_path / "files" / lost.instance[:2] / f"{lost.instance}.dcm").unlink()
    orphan = tmp_path / "files" / "ab" / "abababab-abababab-abababab-abababab-abababab.dcm"
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"left by a crash")
    (orphan.parent / ".tmp-123").write_bytes(b"half")
    with Archive(tmp_path) as second:
        assert second.recovered.missing_files == (lost.instance,)
        assert second.recovered.orphan_files == (orphan.stem,)
        assert second.recovered.temporaries == 1
        assert second.list_ids(IN) == [kept.instance]
        assert second.get(P, lost.patient) is None
    assert not orphan.exists()


@pytest.fixture
def seeded(archive: Archive) -> Archive:
    archive.store(raw("P1", "1.1", "1.1.1", "1.1.1.1", StudyDate="20240110", Modality="CT"),
                  {ST: frozenset({"a"}), SE: frozenset({"a"})})
    archive.store(raw("P2", "2.1", "2.1.1", "2.1.1.1", StudyDate="20240220", Modality="MR"),
                  {ST: frozenset({"b"})})
    archive.store(raw("p3", "3.1", "3.1.1", "3.1.1.1", StudyDate="20230101", Modality="CT"),
                  {ST: frozenset({"a", "b"})})
    archive.store(raw("P4", "4.1", "4.1.1", "4.1.1.1", StudyDate="20240301", Modality="US"))
    return archive


def study_uids(found: list[Resource]) -> list[str]:
    return sorted(r.main_tags["StudyInstanceUID"] for r in found)


def test_find_by_labels_and_constraint(seeded: Archive) -> None:
    def uids(labels: set[str], constraint: Constraint, none_empty: str = "none-empty=all") -> list[str]:
        return study_uids(seeded.find(ST, [], labels=frozenset(labels), constraint=constraint,
                                      none_empty=none_empty))
    assert uids({"a"}, Constraint.ALL) == ["1.1", "3.1"]
    assert uids({"a", "b"}, Constraint.ALL) == ["3.1"]
    assert uids({"a", "b"}, Constraint.ANY) == ["1.1", "2.1", "3.1"]
    assert uids({"a"}, Constraint.NONE) == ["2.1", "4.1"]
    assert uids(set(), Constraint.ALL) == ["1.1", "2.1", "3.1", "4.1"]
    assert uids(set(), Constraint.NONE) == ["1.1", "2.1", "3.1", "4.1"]
    assert uids(set(), Constraint.NONE, NONE_EMPTY_UNLABELLED) == ["4.1"]


def test_find_checks_labels_per_level(seeded: Archive) -> None:
    assert len(seeded.find(SE, [], labels=frozenset({"b"}))) == 0       # only studies carry b
    assert len(seeded.find(SE, [], labels=frozenset({"a"}))) == 1
    assert seeded.find(P, [], labels=frozenset({"a"})) == []


def test_find_matching_main_parent_and_file_tags(seeded: Archive) -> None:
    patient_id = Criterion(0x00100020, "LO", "p*")
    assert study_uids(seeded.find(ST, [patient_id])) == ["1.1", "2.1", "3.1", "4.1"]
    assert study_uids(seeded.find(ST, [patient_id], case_sensitive=True)) == ["3.1"]
    assert study_uids(seeded.find(ST, [Criterion(0x00080020, "DA", "20240101-20240228")])) == ["1.1", "2.1"]
    found = seeded.find(SE, [Criterion(0x00080060, "CS", "CT\\US"), Criterion(0x0020000D, "UI", "1.1\\4.1")])
    assert sorted(r.main_tags["SeriesInstanceUID"] for r in found) == ["1.1.1", "4.1.1"]
    # Observed on Orthanc 1.12.7 /tools/find: a tag that is no main tag is read from an instance file;
    # a main tag of a lower level (Modality for a study) never matches; ModalitiesInStudy is computed.
    ct_storage = seeded.find(ST, [Criterion(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.2")])
    assert study_uids(ct_storage) == ["1.1", "2.1", "3.1", "4.1"]
    assert seeded.find(ST, [Criterion(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.4")]) == []
    assert seeded.find(ST, [Criterion(0x00080060, "CS", "MR")]) == []
    in_study = seeded.find(ST, [Criterion(0x00080061, "CS", "MR\\us")])
    assert study_uids(in_study) == ["2.1", "4.1"]
    assert seeded.find(ST, [Criterion(0x00080061, "CS", "M*")]) == []
    with pytest.raises(QueryError):
        seeded.find(ST, [Criterion(0x0020000D, "UI", "1.*")])


def test_concurrent_stores_labels_and_deletes(archive: Archive) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for k in range(15):
                ids = archive.store(raw(f"P{n}", f"5.{n}", f"5.{n}.1", f"5.{n}.1.{k}"),
                                    {ST: frozenset({f"t{n}"})}).ids
                archive.store(raw("SHARED", "6.1", "6.1.1", "6.1.1.1"), {ST: frozenset({f"t{n}"})})
                archive.add_label(IN, ids.instance, "x")
                if k % 5 == 4:
                    archive.delete(IN, ids.instance)
                archive.find(ST, [], labels=frozenset({f"t{n}"}))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(archive.list_ids(IN)) == 6 * 12 + 1
    shared = archive.find(ST, [Criterion(0x00100020, "LO", "SHARED")])
    assert len(shared) == 1 and shared[0].labels == frozenset(f"t{n}" for n in range(6))
