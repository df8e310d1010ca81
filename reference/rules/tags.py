"""The one table of Orthanc's main DICOM tags per level (STYLE lesson 2).

Source: `GET /system` -> "MainDicomTags" of Orthanc 1.12.7 (Debian trixie), observed. The archive
indexes exactly these values, REST shows them under "MainDicomTags" (keyword -> string), C-FIND answers
are built from them (FIND-6) and `/tools/find` matches them (FIND-5). The same tag may be a main tag of
two levels (TimezoneOffsetFromUTC, ImageOrientationPatient): look tags up per level.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword

from reference.rules.levels import LEVELS, Level


@dataclass(frozen=True)
class MainTag:
    keyword: str
    tag: int
    vr: str
    level: Level


def _t(group: int, element: int) -> int:
    return (group << 16) | element


_P, _ST, _SE, _I = Level.PATIENT, Level.STUDY, Level.SERIES, Level.INSTANCE

MAIN_TAGS: tuple[MainTag, ...] = (
    MainTag("PatientName", _t(0x0010, 0x0010), "PN", _P),
    MainTag("PatientID", _t(0x0010, 0x0020), "LO", _P),
    MainTag("PatientBirthDate", _t(0x0010, 0x0030), "DA", _P),
    MainTag("PatientSex", _t(0x0010, 0x0040), "CS", _P),
    MainTag("OtherPatientIDs", _t(0x0010, 0x1000), "LO", _P),
    MainTag("StudyDate", _t(0x0008, 0x0020), "DA", _ST),
    MainTag("StudyTime", _t(0x0008, 0x0030), "TM", _ST),
    MainTag("AccessionNumber", _t(0x0008, 0x0050), "SH", _ST),
    MainTag("InstitutionName", _t(0x0008, 0x0080), "LO", _ST),
    MainTag("ReferringPhysicianName", _t(0x0008, 0x0090), "PN", _ST),
    MainTag("TimezoneOffsetFromUTC", _t(0x0008, 0x0201), "SH", _ST),
    MainTag("StudyDescription", _t(0x0008, 0x1030), "LO", _ST),
    MainTag("StudyInstanceUID", _t(0x0020, 0x000D), "UI", _ST),
    MainTag("StudyID", _t(0x0020, 0x0010), "SH", _ST),
    MainTag("RequestingPhysician", _t(0x0032, 0x1032), "PN", _ST),
    MainTag("RequestedProcedureDescription", _t(0x0032, 0x1060), "LO", _ST),
    MainTag("SeriesDate", _t(0x0008, 0x0021), "DA", _SE),
    MainTag("SeriesTime", _t(0x0008, 0x0031), "TM", _SE),
    MainTag("Modality", _t(0x0008, 0x0060), "CS", _SE),
    MainTag("Manufacturer", _t(0x0008, 0x0070), "LO", _SE),
    MainTag("TimezoneOffsetFromUTC", _t(0x0008, 0x0201), "SH", _SE),
    MainTag("StationName", _t(0x0008, 0x1010), "SH", _SE),
    MainTag("SeriesDescription", _t(0x0008, 0x103E), "LO", _SE),
    MainTag("OperatorsName", _t(0x0008, 0x1070), "PN", _SE),
    MainTag("ContrastBolusAgent", _t(0x0018, 0x0010), "LO", _SE),
    MainTag("BodyPartExamined", _t(0x0018, 0x0015), "CS", _SE),
    MainTag("SequenceName", _t(0x0018, 0x0024), "SH", _SE),
    MainTag("ProtocolName", _t(0x0018, 0x1030), "LO", _SE),
    MainTag("CardiacNumberOfImages", _t(0x0018, 0x1090), "IS", _SE),
    MainTag("AcquisitionDeviceProcessingDescription", _t(0x0018, 0x1400), "LO", _SE),
    MainTag("SeriesInstanceUID", _t(0x0020, 0x000E), "UI", _SE),
    MainTag("SeriesNumber", _t(0x0020, 0x0011), "IS", _SE),
    MainTag("ImageOrientationPatient", _t(0x0020, 0x0037), "DS", _SE),
    MainTag("NumberOfTemporalPositions", _t(0x0020, 0x0105), "IS", _SE),
    MainTag("ImagesInAcquisition", _t(0x0020, 0x1002), "IS", _SE),
    MainTag("PerformedProcedureStepStartDate", _t(0x0040, 0x0244), "DA", _SE),
    MainTag("PerformedProcedureStepStartTime", _t(0x0040, 0x0245), "TM", _SE),
    MainTag("PerformedProcedureStepDescription", _t(0x0040, 0x0254), "LO", _SE),
    MainTag("RequestAttributesSequence", _t(0x0040, 0x0275), "SQ", _SE),
    MainTag("NumberOfSlices", _t(0x0054, 0x0081), "US", _SE),
    MainTag("NumberOfTimeSlices", _t(0x0054, 0x0101), "US", _SE),
    MainTag("SeriesType", _t(0x0054, 0x1000), "CS", _SE),
    MainTag("InstanceCreationDate", _t(0x0008, 0x0012), "DA", _I),
    MainTag("InstanceCreationTime", _t(0x0008, 0x0013), "TM", _I),
    MainTag("SOPInstanceUID", _t(0x0008, 0x0018), "UI", _I),
    MainTag("AcquisitionNumber", _t(0x0020, 0x0012), "IS", _I),
    MainTag("InstanceNumber", _t(0x0020, 0x0013), "IS", _I),
    MainTag("ImagePositionPatient", _t(0x0020, 0x0032), "DS", _I),
    MainTag("ImageOrientationPatient", _t(0x0020, 0x0037), "DS", _I),
    MainTag("TemporalPositionIdentifier", _t(0x0020, 0x0100), "IS", _I),
    MainTag("ImageComments", _t(0x0020, 0x4000), "LT", _I),
    MainTag("NumberOfFrames", _t(0x0028, 0x0008), "IS", _I),
    MainTag("ImageIndex", _t(0x0054, 0x1330), "US", _I),
)

# The tag whose value identifies a resource within its parent (SPEC section 9, MOVE-3).
IDENTIFIER_TAGS: dict[Level, MainTag] = {
    level: next(m for m in MAIN_TAGS if m.level is level and m.keyword == keyword)
    for level, keyword in ((_P, "PatientID"), (_ST, "StudyInstanceUID"), (_SE, "SeriesInstanceUID"),
                           (_I, "SOPInstanceUID"))
}

_BY_LEVEL: dict[Level, tuple[MainTag, ...]] = {
    level: tuple(m for m in MAIN_TAGS if m.level is level) for level in LEVELS
}
_BY_LEVEL_TAG: dict[tuple[Level, int], MainTag] = {(m.level, m.tag): m for m in MAIN_TAGS}


def main_tags_of(level: Level) -> tuple[MainTag, ...]:
    """The main tags stored for resources of `level`."""
    return _BY_LEVEL[level]


def main_tag(level: Level, tag: int) -> MainTag | None:
    """The main tag `tag` of `level`, if it is one."""
    return _BY_LEVEL_TAG.get((level, tag))


def main_tag_in_chain(level: Level, tag: int) -> MainTag | None:
    """The main tag `tag` of `level` or of its nearest ancestor level (how `/tools/find` applies
    a key of an upper level, e.g. PatientID in a STUDY query)."""
    current: Level | None = level
    while current is not None:
        found = main_tag(current, tag)
        if found is not None:
            return found
        current = current.parent
    return None


def is_main_tag_below(level: Level, tag: int) -> bool:
    """Whether `tag` is a main tag of a level below `level` (e.g. SeriesNumber for a study)."""
    return any(m.tag == tag and m.level.depth > level.depth for m in MAIN_TAGS)


def parse_tag(name: str) -> int | None:
    """A tag from a keyword (`PatientID`) or `gggg,eeee` hex (as the plugin sends to /tools/find)."""
    text = name.strip()
    if len(text) == 9 and text[4] == ",":
        try:
            return _t(int(text[:4], 16), int(text[5:], 16))
        except ValueError:
            return None
    found = tag_for_keyword(text)
    return None if found is None else int(found)


def vr_of(tag: int) -> str:
    """The VR of a tag: from the main-tag table, else pydicom's dictionary, else UN."""
    for m in MAIN_TAGS:
        if m.tag == tag:
            return m.vr
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return "UN"


def keyword_of(tag: int) -> str:
    """Orthanc's tag name: the DICOM keyword, or `gggg,eeee` when the dictionary has none."""
    return keyword_for_tag(tag) or f"{tag >> 16:04x},{tag & 0xFFFF:04x}"
