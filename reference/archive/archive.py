"""The archive facade the listeners and the REST API share (thread-safe).

Durability (a store is all or nothing, even after kill -9):
  1. parse the bytes and compute the Orthanc IDs (no lock);
  2. write the file under a temporary name and fsync it (no lock);
  3. under the lock: if the instance is indexed already, drop the temporary file and union the labels
     (STORE-3, "AlreadyStored"); else rename the file to its final name, fsync the folder, then ONE
     SQLite transaction inserts the rows of every level and the labels.
A crash between the rename and the commit leaves a file without a row; `__init__` deletes such orphans
(and temporary files), and removes index rows whose file is missing (reported in `recovered`). Deleting
commits the index first and unlinks the files after, so a crash there also leaves only orphan files.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pydicom
from pydicom.dataset import Dataset

from reference.archive.index import Index, Row
from reference.archive.storage import FileStorage
from reference.errors import ArchiveError, InvalidDicomError
from reference.rules.ids import resource_id_chain
from reference.rules.labels import NONE_EMPTY_ALL, Constraint, is_valid_label, is_visible
from reference.rules.levels import LEVELS, Level
from reference.rules.matching import Criterion, Matcher, compile_query, element_text
from reference.rules.tags import IDENTIFIER_TAGS, is_main_tag_below, main_tag_in_chain, main_tags_of

INDEX_FILE = "index.sqlite"
MODALITIES_IN_STUDY = 0x00080061


@dataclass(frozen=True)
class ResourceIds:
    patient: str
    study: str
    series: str
    instance: str

    def of(self, level: Level) -> str:
        return (self.patient, self.study, self.series, self.instance)[level.depth]


@dataclass(frozen=True)
class StoreResult:
    status: Literal["Success", "AlreadyStored"]
    ids: ResourceIds


@dataclass(frozen=True)
class Resource:
    level: Level
    id: str
    parent: str | None
    children: tuple[str, ...]
    main_tags: Mapping[str, str]            # keyword -> stored string value
    labels: frozenset[str]
    patient_main_tags: Mapping[str, str] = field(default_factory=dict)  # filled for studies
    last_update: str = ""                   # when an instance was last added under it (UTC)


@dataclass(frozen=True)
class RecoveryReport:
    """What opening the archive cleaned up after an unclean stop."""

    orphan_files: tuple[str, ...] = ()
    missing_files: tuple[str, ...] = ()
    temporaries: int = 0


def parse_instance(data: bytes) -> Dataset:
    """Parse a DICOM Part-10 file (or a bare dataset); InvalidDicomError if it is not DICOM."""
    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    except Exception as exc:  # pydicom raises many kinds on garbage input
        raise InvalidDicomError(f"cannot parse a DICOM file ({len(data)} bytes): {exc}") from None
    return ds


def extract_main_tags(ds: Dataset, level: Level) -> dict[str, str]:
    """The stored main tags of one level (keyword -> value as Orthanc shows it)."""
    found: dict[str, str] = {}
    for main in main_tags_of(level):
        if main.vr == "SQ":
            continue
        try:
            text = element_text(ds, main.tag)
        except Exception:  # an undecodable value is not indexed
            text = None
        if text is not None:
            found[main.keyword] = text
    return found


def _identifiers(ds: Dataset) -> tuple[str, str, str, str]:
    values: list[str] = []
    for level in LEVELS:
        main = IDENTIFIER_TAGS[level]
        try:
            text = element_text(ds, main.tag)
        except Exception:
            text = None
        if level is not Level.PATIENT and not text:
            raise InvalidDicomError(f"missing {main.keyword}")
        values.append(text or "")
    return values[0], values[1], values[2], values[3]


class Archive:
    """One shared archive: files + SQLite index, safe to call from many threads."""

    def __init__(self, storage_dir: Path) -> None:
        storage_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._files = FileStorage(storage_dir)
        self._index = Index(storage_dir / INDEX_FILE)
        self.recovered = self._recover()

    def close(self) -> None:
        with self._lock:
            self._index.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _recover(self) -> RecoveryReport:
        with self._lock:
            temporaries = self._files.remove_temporaries()
            indexed = set(self._index.ids_of_level(Level.INSTANCE))
            on_disk = set(self._files.stored_ids())
            orphans = sorted(on_disk - indexed)
            for instance_id in orphans:
                self._files.remove(instance_id)
            missing = sorted(indexed - on_disk)
            if missing:
                with self._index.transaction():
                    for instance_id in missing:
                        self._delete_rows_upwards(instance_id)
            return RecoveryReport(tuple(orphans), tuple(missing), temporaries)

    def _delete_rows_upwards(self, resource_id: str) -> None:
        """Delete a resource's rows and every ancestor left without children."""
        row = self._index.get(resource_id)
        self._index.delete(resource_id)
        parent = row.parent if row is not None else None
        while parent is not None:
            parent_row = self._index.get(parent)
            if parent_row is None or not self._index.delete_if_childless(parent):
                break
            parent = parent_row.parent

    # --- store -----------------------------------------------------------------------------------

    def store(self, data: bytes, labels: Mapping[Level, frozenset[str]] | None = None) -> StoreResult:
        """Store one instance; an existing one is kept and gets the labels unioned (STORE-3)."""
        ds = parse_instance(data)
        ids = ResourceIds(*resource_id_chain(*_identifiers(ds)))
        wanted = {level: frozenset(values) for level, values in (labels or {}).items()}
        for values in wanted.values():
            for label in values:
                if not is_valid_label(label):
                    raise ArchiveError(f"invalid label {label!r}")
        temp = self._files.write_temp(ids.instance, data)
        try:
            with self._lock:
                if self._index.get(ids.instance) is not None:
                    self._files.discard(temp)
                    with self._index.transaction():
                        for level, values in wanted.items():
                            self._index.add_labels(ids.of(level), values)
                    return StoreResult("AlreadyStored", ids)
                self._files.publish(temp, ids.instance)
                try:
                    self._index_new_instance(ds, ids, wanted)
                except BaseException:
                    self._files.remove(ids.instance)
                    raise
                return StoreResult("Success", ids)
        finally:
            self._files.discard(temp)  # no-op once published

    def _index_new_instance(self, ds: Dataset, ids: ResourceIds,
                            wanted: Mapping[Level, frozenset[str]]) -> None:
        now = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        with self._index.transaction():
            parent: str | None = None
            for level in LEVELS:
                self._index.insert_if_absent(ids.of(level), level, parent, extract_main_tags(ds, level), now)
                parent = ids.of(level)
            for level, values in wanted.items():
                self._index.add_labels(ids.of(level), values)

    # --- read ------------------------------------------------------------------------------------

    def _resource(self, row: Row) -> Resource:
        patient_tags: Mapping[str, str] = {}
        if row.level is Level.STUDY and row.parent is not None:
            patient = self._index.get(row.parent)
            patient_tags = patient.main_tags if patient is not None else {}
        return Resource(level=row.level, id=row.id, parent=row.parent,
                        children=tuple(self._index.children(row.id)), main_tags=row.main_tags,
                        labels=self._index.labels_of(row.id), patient_main_tags=patient_tags,
                        last_update=row.last_update)

    def get(self, level: Level, resource_id: str) -> Resource | None:
        with self._lock:
            row = self._index.get(resource_id)
            if row is None or row.level is not level:
                return None
            return self._resource(row)

    def list_ids(self, level: Level) -> list[str]:
        with self._lock:
            return self._index.ids_of_level(level)

    def instance_ids_of(self, level: Level, resource_id: str) -> list[str]:
        """Every instance of a resource, whatever their labels (MOVE-2); [] if unknown."""
        with self._lock:
            row = self._index.get(resource_id)
            if row is None or row.level is not level:
                return []
            return self._index.instance_ids_under(resource_id, level)

    def file_size(self, instance_id: str) -> int | None:
        """The size of an instance's file in bytes, None if it is not stored."""
        try:
            return self._files.path_of(instance_id).stat().st_size
        except OSError:
            return None

    def read_instance(self, instance_id: str) -> bytes:
        try:
            return self._files.read(instance_id)
        except OSError as exc:
            raise ArchiveError(f"instance {instance_id} is not stored: {exc}") from None

    # --- delete and labels -----------------------------------------------------------------------

    def delete(self, level: Level, resource_id: str) -> bool:
        """Delete a resource, its children and all their labels (LBL-6); parents left empty go too,
        as in Orthanc. False if there is no such resource at this level."""
        with self._lock:
            row = self._index.get(resource_id)
            if row is None or row.level is not level:
                return False
            instances = self._index.instance_ids_under(resource_id, level)
            with self._index.transaction():
                self._delete_rows_upwards(resource_id)
            for instance_id in instances:
                self._files.remove(instance_id)
            return True

    def add_label(self, level: Level, resource_id: str, label: str) -> bool:
        """Add a label (idempotent). False if the resource is unknown at this level; ValueError if the
        label is invalid (LBL-1)."""
        return self._relabel(level, resource_id, label, add=True)

    def remove_label(self, level: Level, resource_id: str, label: str) -> bool:
        """Remove a label (absent: still True). False if the resource is unknown at this level."""
        return self._relabel(level, resource_id, label, add=False)

    def _relabel(self, level: Level, resource_id: str, label: str, *, add: bool) -> bool:
        if not is_valid_label(label):
            raise ValueError(f"invalid label {label!r}")
        with self._lock:
            row = self._index.get(resource_id)
            if row is None or row.level is not level:
                return False
            with self._index.transaction():
                if add:
                    self._index.add_labels(resource_id, [label])
                else:
                    self._index.remove_label(resource_id, label)
            return True

    def labels(self, level: Level, resource_id: str) -> list[str]:
        """The sorted labels of a resource ([] if unknown)."""
        with self._lock:
            row = self._index.get(resource_id)
            if row is None or row.level is not level:
                return []
            return sorted(self._index.labels_of(resource_id))

    def all_labels(self) -> list[str]:
        with self._lock:
            return self._index.all_labels()

    # --- find ------------------------------------------------------------------------------------

    def find(self, level: Level, criteria: Iterable[Criterion], *, labels: frozenset[str] = frozenset(),
             constraint: Constraint = Constraint.ALL, none_empty: str = NONE_EMPTY_ALL,
             case_sensitive: bool = False, case_sensitive_pn: bool | None = None) -> list[Resource]:
        """The resources of `level` visible under (labels, constraint) whose main tags (or those of
        their ancestors, or for other tags the values in one of their instances) match every criterion.
        `case_sensitive_pn` overrides the case rule for PN keys (None: same as `case_sensitive`).
        Raises QueryError (from rules.matching) for a wildcard in a UID key."""
        matchers = compile_query(criteria, case_sensitive=case_sensitive, case_sensitive_pn=case_sensitive_pn)
        with self._lock:
            rows = self._index.rows_of_level(level)
            labels_by_id = self._index.labels_of_level(level)
            visible = [row for row in rows
                       if is_visible(labels_by_id.get(row.id, frozenset()), labels, constraint, none_empty)]
            selected = [row for row in visible if self._matches(row, matchers)]
            return [self._resource(row) for row in selected]

    def _matches(self, row: Row, matchers: tuple[Matcher, ...]) -> bool:
        if not matchers:
            return True
        chain: dict[Level, Row] = {row.level: row}
        current = row
        while current.parent is not None:
            parent = self._index.get(current.parent)
            if parent is None:
                break
            chain[parent.level] = parent
            current = parent
        instance: Dataset | None = None
        for matcher in matchers:
            tag = matcher.criterion.tag
            main = main_tag_in_chain(row.level, tag)
            stored: str | None
            if tag == MODALITIES_IN_STUDY and row.level is Level.STUDY:
                if not self._modalities_in_study_match(row, matcher):
                    return False
                continue
            if main is not None:
                owner = chain.get(main.level)
                stored = None if owner is None else owner.main_tags.get(main.keyword)
            elif is_main_tag_below(row.level, tag):
                stored = None  # Orthanc: a main tag of a lower level never matches (observed 1.12.7)
            else:
                if instance is None:
                    instance = self._representative_instance(row)
                    if instance is None:
                        return False
                try:
                    stored = element_text(instance, tag)
                except Exception:
                    stored = None
            if not matcher.matches(stored):
                return False
        return True

    def _modalities_in_study_match(self, row: Row, matcher: Matcher) -> bool:
        """ModalitiesInStudy at STUDY level (Orthanc computes it): some series' Modality equals one of
        the `\\`-separated items (items are never wildcards)."""
        wanted = {item for item in matcher.criterion.value.split("\\") if item}
        if not matcher.case_sensitive:
            wanted = {item.upper() for item in wanted}
        for series_id in self._index.children(row.id):
            series = self._index.get(series_id)
            modality = series.main_tags.get("Modality") if series is not None else None
            if modality is not None and (modality if matcher.case_sensitive else modality.upper()) in wanted:
                return True
        return False

    def _representative_instance(self, row: Row) -> Dataset | None:
        instances = self._index.instance_ids_under(row.id, row.level)
        if not instances:
            return None
        try:
            return parse_instance(self._files.read(instances[0]))
        except (OSError, InvalidDicomError):
            return None
