"""Seeding a shared archive for one test, and cleaning up after it.

Strategy: every test gets a unique UID root (``uid_prefix``, ``2.25.<uuid>``) and derives its patient
IDs and UIDs from it, so examples never collide on an archive shared by the whole session (and by
other engineers' runs against an external target). :class:`ArchiveBuilder` uploads through the admin
REST API, applies labels at any level, and remembers every PatientID it (or the test, through
``track``) put in the archive; ``cleanup`` deletes those patients, which deletes their studies,
series, instances and labels (LBL-6).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pydicom.dataset import Dataset

from conformance.admin import AdminClient, Uploaded
from conformance.errors import AdminError
from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance

LEVEL_OF_ID = ("Patient", "Study", "Series", "Instance")


def new_uid_prefix() -> str:
    """A fresh ``2.25.<n>`` UID root (44 characters at most, leaving room for 4 child components)."""
    return f"2.25.{uuid.uuid4().int}"


@dataclass(frozen=True)
class Seeded:
    """An instance put in the archive, with its DICOM identifiers and its Orthanc IDs."""

    dataset: Dataset
    ids: Uploaded
    patient_id: str
    study_uid: str
    series_uid: str
    sop_uid: str

    def id_at(self, level: str) -> str:
        """The Orthanc ID of this instance's resource at ``level``."""
        return {"Patient": self.ids.patient, "Study": self.ids.study, "Series": self.ids.series,
                "Instance": self.ids.instance}[level]


class ArchiveBuilder:
    """Builds instances under one UID root, uploads and labels them, and deletes them at the end."""

    def __init__(self, admin: AdminClient, uid_prefix: str) -> None:
        self.admin = admin
        self.uid_prefix = uid_prefix
        self._tag = uid_prefix.rsplit(".", 1)[-1][-10:]
        self._patients: dict[str, None] = {}
        self._counter = 0

    def next_index(self) -> int:
        """A fresh patient index (1, 2, ...) for tests that build several examples (hypothesis)."""
        self._counter += 1
        return self._counter

    def patient_id(self, patient: int | str = 1) -> str:
        return f"MT{self._tag}-{patient}"

    def spec(self, patient: int = 1, study: int = 1, series: int = 1, instance: int = 1,
             **overrides: Any) -> InstanceSpec:
        """An instance description whose IDs derive from the UID root and the four indices."""
        base = InstanceSpec(
            patient_id=self.patient_id(patient),
            study_uid=f"{self.uid_prefix}.{patient}.{study}",
            series_uid=f"{self.uid_prefix}.{patient}.{study}.{series}",
            sop_uid=f"{self.uid_prefix}.{patient}.{study}.{series}.{instance}",
            accession_number=f"A{self._tag}{patient}{study}",
            series_number=series,
            instance_number=instance,
        )
        return replace(base, **overrides) if overrides else base

    def dataset(self, patient: int = 1, study: int = 1, series: int = 1, instance: int = 1,
                **overrides: Any) -> Dataset:
        """A Part-10 dataset to send through DIMSE; it is tracked for cleanup."""
        ds = make_instance(self.spec(patient, study, series, instance, **overrides))
        self.track(str(ds.PatientID))
        return ds

    def track(self, patient_id: str) -> None:
        """Remember a PatientID the test put in the archive some other way (e.g. C-STORE)."""
        self._patients[patient_id] = None

    def upload(self, item: Dataset | InstanceSpec,
               labels: Mapping[str, Iterable[str]] | None = None) -> Seeded:
        """Upload through REST; ``labels`` maps a level ("Patient".."Instance") to labels to add."""
        ds = make_instance(item) if isinstance(item, InstanceSpec) else item
        self.track(str(ds.PatientID))
        ids = self.admin.upload(instance_bytes(ds))
        seeded = Seeded(ds, ids, str(ds.PatientID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID),
                        str(ds.SOPInstanceUID))
        for level, level_labels in (labels or {}).items():
            for label in level_labels:
                self.admin.add_label(level, seeded.id_at(level), label)
        return seeded

    def locate(self, sop_uid: str) -> dict[str, str] | None:
        """The Orthanc IDs, by level, of the instance with this SOPInstanceUID (None: not in the archive)."""
        found = self.admin.find("Instance", {"SOPInstanceUID": sop_uid}, expand=True)
        if not found:
            return None
        instance = found[0]
        series = self.admin.get("Series", instance["ParentSeries"]) or {}
        study = self.admin.get("Study", series.get("ParentStudy", "")) or {}
        return {"Instance": instance["ID"], "Series": instance["ParentSeries"],
                "Study": series.get("ParentStudy", ""), "Patient": study.get("ParentPatient", "")}

    def labels_by_level(self, sop_uid: str) -> dict[str, set[str]]:
        """The labels of the instance's resource at each level, read back through the admin API."""
        ids = self.locate(sop_uid)
        if ids is None:
            raise AdminError("POST", "tools/find", 404, f"no instance with SOPInstanceUID {sop_uid}")
        return {level: set(self.admin.labels(level, resource_id)) for level, resource_id in ids.items()}

    def cleanup(self) -> list[str]:
        """Delete every tracked patient; returns the problems met (the caller reports them)."""
        problems: list[str] = []
        for patient_id in list(self._patients):
            try:
                for orthanc_id in self.admin.find("Patient", {"PatientID": patient_id}):
                    if self.admin.request("DELETE", f"patients/{orthanc_id}").status not in (200, 404):
                        problems.append(f"could not delete patient {patient_id}")
            except AdminError as exc:
                problems.append(str(exc))
        self._patients.clear()
        return problems
