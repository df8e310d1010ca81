"""From symbolic examples to data on the target, and from wire datasets back to plain values.

Strategy: ``materialize`` turns an ``ArchiveSpec`` (see ``conformance.strategies``) into pydicom
datasets built by ``fixtures.dicom``, then the *model* of what was uploaded is read off those very
datasets (``dataset_values``), so the model can never disagree with the test data by construction.
``seeded`` uploads through the admin API, applies the labels, yields the model and always deletes
the example's patients afterwards, so hypothesis examples do not pile up on a shared archive.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from conformance.admin import AdminClient
from conformance.model import Archive, Level, ResourceKey, relabel, store
from conformance.model.tags import TAGS, UNIQUE_KEYS
from conformance.strategies import ArchiveSpec, render
from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance

# keyword of the strategies' templates -> InstanceSpec field (and its type)
_SPEC_FIELDS: dict[str, tuple[str, type]] = {
    "PatientID": ("patient_id", str),
    "PatientName": ("patient_name", str),
    "StudyInstanceUID": ("study_uid", str),
    "AccessionNumber": ("accession_number", str),
    "StudyDate": ("study_date", str),
    "StudyDescription": ("study_description", str),
    "SeriesInstanceUID": ("series_uid", str),
    "Modality": ("modality", str),
    "SeriesDescription": ("series_description", str),
    "SeriesNumber": ("series_number", int),
    "SOPInstanceUID": ("sop_uid", str),
    "InstanceNumber": ("instance_number", int),
}


def fresh_names() -> tuple[str, str]:
    """A fresh (token, UID root) pair for one example: 8 characters, and ``2.25.<uuid>``."""
    u = uuid.uuid4()
    return f"M{u.hex[:7].upper()}", f"2.25.{u.int}"


def dataset_value(ds: Dataset, keyword: str) -> str | None:
    """The string value of an attribute (multi-values joined by ``\\``); None when absent."""
    if keyword not in ds:
        return None
    value = ds[keyword].value
    if value is None:
        return ""
    if isinstance(value, MultiValue | list | tuple):
        return "\\".join(str(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00 ")
    return str(value)


def dataset_values(ds: Dataset) -> dict[str, str]:
    """Main tags (of any level) with their values: what the archive stores for this instance."""
    out: dict[str, str] = {}
    for keyword, info in TAGS.items():
        if info.level is not None:
            value = dataset_value(ds, keyword)
            if value is not None:
                out[keyword] = value
    return out


def materialize(
    spec: ArchiveSpec, token: str, root: str, extra: Mapping[str, object] | None = None
) -> list[Dataset]:
    """The datasets of an archive spec, with ``{P}``/``{U}`` filled in; ``extra`` are more
    ``InstanceSpec`` arguments for every instance (e.g. ``specific_character_set``)."""
    out: list[Dataset] = []
    for inst in spec.instances:
        kwargs: dict[str, object] = {"referring_physician_name": None, **(extra or {})}
        for keyword, template in inst.values:
            name, kind = _SPEC_FIELDS[keyword]
            kwargs[name] = kind(render(template, token, root))
        out.append(make_instance(InstanceSpec(**kwargs)))  # type: ignore[arg-type]
    return out


def model_of(datasets: list[Dataset], labels: Mapping[ResourceKey, frozenset[str]]) -> Archive:
    archive = Archive()
    for ds in datasets:
        archive = store(archive, dataset_values(ds))
    for key, wanted in labels.items():
        if key in archive:
            archive = relabel(archive, key, add=wanted)
    return archive


@dataclass(frozen=True)
class Seeded:
    """One example on the target: its model, names and admin IDs."""

    archive: Archive
    token: str
    root: str
    ids: Mapping[ResourceKey, str]
    datasets: tuple[Dataset, ...]

    def key_of(self, level: Level, admin_id: str) -> ResourceKey | None:
        for key, value in self.ids.items():
            if value == admin_id and key.level is level:
                return key
        return None


def upload(admin: AdminClient, datasets: list[Dataset]) -> dict[ResourceKey, str]:
    """Upload datasets; the admin IDs of every resource they create."""
    ids: dict[ResourceKey, str] = {}
    for ds in datasets:
        up = admin.upload(instance_bytes(ds))
        for level, admin_id in zip(Level, (up.patient, up.study, up.series, up.instance), strict=True):
            ids[ResourceKey(level, str(ds[UNIQUE_KEYS[level]].value))] = admin_id
    return ids


def delete_patients(admin: AdminClient, ids: Mapping[ResourceKey, str]) -> None:
    """Delete the patients of ``ids``; a patient already gone (404) is fine."""
    for key, admin_id in ids.items():
        if key.level is Level.PATIENT:
            admin.request("DELETE", f"patients/{admin_id}")


@contextmanager
def seeded(
    admin: AdminClient, spec: ArchiveSpec, extra: Mapping[str, object] | None = None
) -> Iterator[Seeded]:
    """Upload and label one example; delete it on exit, whatever happened."""
    token, root = fresh_names()
    datasets = materialize(spec, token, root, extra)
    labels = {ResourceKey(level, render(t, token, root)): wanted for level, t, wanted in spec.labels}
    ids: dict[ResourceKey, str] = {}
    try:
        ids = upload(admin, datasets)
        for key, wanted in labels.items():
            for label in sorted(wanted):
                admin.add_label(key.level.rest_name, ids[key], label)
        yield Seeded(model_of(datasets, labels), token, root, ids, tuple(datasets))
    finally:
        delete_patients(admin, ids)


def identifier(level_name: str | None, keys: Mapping[str, str]) -> Dataset:
    """A C-FIND/C-MOVE identifier; ``level_name`` None leaves QueryRetrieveLevel out."""
    ds = Dataset()
    if level_name is not None:
        ds.QueryRetrieveLevel = level_name
    for keyword, value in keys.items():
        if keyword != "QueryRetrieveLevel":
            setattr(ds, keyword, value)
    return ds
