"""The attribute table the model reasons with: which tags are "main" at which level, their VR.

One table, written once (STYLE lesson 2). The main DICOM tags per level are Orthanc's default main
tags (Orthanc's ``DicomMap`` tables, SPEC FIND-6: an answer holds only requested keys that are main
tags of the queried level, plus the patient's at STUDY level). The VR decides how a key matches
(SPEC FIND-5: wildcards on string VRs, ranges on dates and times, UIDs never wildcards).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    """Query/retrieve levels, ordered from the root (a smaller value is an ancestor)."""

    PATIENT = 0
    STUDY = 1
    SERIES = 2
    INSTANCE = 3

    @property
    def wire_name(self) -> str:
        """The QueryRetrieveLevel value (SPEC FIND-4, ``orthanc`` spelling)."""
        return self.name

    @property
    def rest_name(self) -> str:
        """The admin API's level name (``Patient``, ``Study``, ``Series``, ``Instance``)."""
        return self.name.capitalize()

    @property
    def unique_key(self) -> str:
        """The keyword that identifies a resource of this level."""
        return UNIQUE_KEYS[self]


UNIQUE_KEYS: dict[Level, str] = {
    Level.PATIENT: "PatientID",
    Level.STUDY: "StudyInstanceUID",
    Level.SERIES: "SeriesInstanceUID",
    Level.INSTANCE: "SOPInstanceUID",
}

# Store levels accept plurals and "Image" for Instance, case-insensitively (SPEC CFG-6).
_LEVEL_ALIASES: dict[str, Level] = {
    "patient": Level.PATIENT,
    "patients": Level.PATIENT,
    "study": Level.STUDY,
    "studies": Level.STUDY,
    "series": Level.SERIES,
    "instance": Level.INSTANCE,
    "instances": Level.INSTANCE,
    "image": Level.INSTANCE,
    "images": Level.INSTANCE,
}


def parse_level(name: str) -> Level:
    """A configuration level name (CFG-6 spelling rules) as a Level; ValueError if unknown."""
    try:
        return _LEVEL_ALIASES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown level name {name!r}") from None


STRING_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})
"""VRs on which ``*`` and ``?`` are wildcards (SPEC FIND-5)."""

RANGE_VRS = frozenset({"DA", "TM", "DT"})
"""VRs on which ``a-b``, ``a-`` and ``-b`` are inclusive ranges (SPEC FIND-5)."""


@dataclass(frozen=True)
class TagInfo:
    """One attribute: its keyword, (group, element), VR and the level whose main tags hold it."""

    keyword: str
    tag: tuple[int, int]
    vr: str
    level: Level | None  # None: not a main tag at any level


def _t(keyword: str, group: int, element: int, vr: str, level: Level | None) -> TagInfo:
    return TagInfo(keyword, (group, element), vr, level)


P, S, E, I = Level.PATIENT, Level.STUDY, Level.SERIES, Level.INSTANCE  # noqa: E741

TAGS: dict[str, TagInfo] = {
    t.keyword: t
    for t in (
        # Patient main tags.
        _t("PatientName", 0x0010, 0x0010, "PN", P),
        _t("PatientID", 0x0010, 0x0020, "LO", P),
        _t("PatientBirthDate", 0x0010, 0x0030, "DA", P),
        _t("PatientSex", 0x0010, 0x0040, "CS", P),
        _t("OtherPatientIDs", 0x0010, 0x1000, "LO", P),
        # Study main tags.
        _t("StudyDate", 0x0008, 0x0020, "DA", S),
        _t("StudyTime", 0x0008, 0x0030, "TM", S),
        _t("StudyID", 0x0020, 0x0010, "SH", S),
        _t("StudyDescription", 0x0008, 0x1030, "LO", S),
        _t("AccessionNumber", 0x0008, 0x0050, "SH", S),
        _t("StudyInstanceUID", 0x0020, 0x000D, "UI", S),
        _t("RequestedProcedureDescription", 0x0032, 0x1060, "LO", S),
        _t("InstitutionName", 0x0008, 0x0080, "LO", S),
        _t("RequestingPhysician", 0x0032, 0x1032, "PN", S),
        _t("ReferringPhysicianName", 0x0008, 0x0090, "PN", S),
        # Series main tags.
        _t("SeriesDate", 0x0008, 0x0021, "DA", E),
        _t("SeriesTime", 0x0008, 0x0031, "TM", E),
        _t("Modality", 0x0008, 0x0060, "CS", E),
        _t("Manufacturer", 0x0008, 0x0070, "LO", E),
        _t("StationName", 0x0008, 0x1010, "SH", E),
        _t("SeriesDescription", 0x0008, 0x103E, "LO", E),
        _t("BodyPartExamined", 0x0018, 0x0015, "CS", E),
        _t("SequenceName", 0x0018, 0x0024, "SH", E),
        _t("ProtocolName", 0x0018, 0x1030, "LO", E),
        _t("SeriesNumber", 0x0020, 0x0011, "IS", E),
        _t("SeriesInstanceUID", 0x0020, 0x000E, "UI", E),
        _t("OperatorsName", 0x0008, 0x1070, "PN", E),
        _t("PerformedProcedureStepDescription", 0x0040, 0x0254, "LO", E),
        # Instance main tags.
        _t("InstanceCreationDate", 0x0008, 0x0012, "DA", I),
        _t("InstanceCreationTime", 0x0008, 0x0013, "TM", I),
        _t("AcquisitionNumber", 0x0020, 0x0012, "IS", I),
        _t("InstanceNumber", 0x0020, 0x0013, "IS", I),
        _t("NumberOfFrames", 0x0028, 0x0008, "IS", I),
        _t("SOPInstanceUID", 0x0008, 0x0018, "UI", I),
        _t("ImageComments", 0x0020, 0x4000, "LT", I),
        # Not main tags anywhere: filters read from the file (FIND-5), never returned (FIND-6).
        _t("SOPClassUID", 0x0008, 0x0016, "UI", None),
        _t("PatientAge", 0x0010, 0x1010, "AS", None),
        _t("SpecificCharacterSet", 0x0008, 0x0005, "CS", None),
        _t("QueryRetrieveLevel", 0x0008, 0x0052, "CS", None),
        _t("RetrieveAETitle", 0x0008, 0x0054, "AE", None),
        # Computed keys: never returned by a tenant (FIND-6).
        _t("ModalitiesInStudy", 0x0008, 0x0061, "CS", None),
        _t("SOPClassesInStudy", 0x0008, 0x0062, "UI", None),
        _t("InstanceAvailability", 0x0008, 0x0056, "CS", None),
        _t("NumberOfPatientRelatedStudies", 0x0020, 0x1200, "IS", None),
        _t("NumberOfPatientRelatedSeries", 0x0020, 0x1202, "IS", None),
        _t("NumberOfPatientRelatedInstances", 0x0020, 0x1204, "IS", None),
        _t("NumberOfStudyRelatedSeries", 0x0020, 0x1206, "IS", None),
        _t("NumberOfStudyRelatedInstances", 0x0020, 0x1208, "IS", None),
        _t("NumberOfSeriesRelatedInstances", 0x0020, 0x1209, "IS", None),
    )
}

COMPUTED_KEYS = frozenset(
    {
        "ModalitiesInStudy",
        "SOPClassesInStudy",
        "InstanceAvailability",
        "NumberOfPatientRelatedStudies",
        "NumberOfPatientRelatedSeries",
        "NumberOfPatientRelatedInstances",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
        "NumberOfSeriesRelatedInstances",
    }
)

ALWAYS_ADDED_KEYS = frozenset({"QueryRetrieveLevel", "RetrieveAETitle", "SpecificCharacterSet"})
"""Keys a tenant adds to every C-FIND answer (SPEC FIND-6)."""


def main_keys(level: Level) -> frozenset[str]:
    """The main tags stored for a resource of ``level``."""
    return frozenset(k for k, t in TAGS.items() if t.level is level)


def answer_keys(level: Level) -> frozenset[str]:
    """Keys a tenant may return at ``level`` (FIND-6: its main tags, plus the patient's at STUDY)."""
    keys = main_keys(level)
    if level is Level.STUDY:
        keys |= main_keys(Level.PATIENT)
    return keys


def vr_of(keyword: str) -> str:
    """The VR of a keyword of the table (KeyError if it is not in the table)."""
    return TAGS[keyword].vr
