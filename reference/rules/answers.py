"""What one C-FIND answer of a tenant holds (FIND-6), as a pure function.

Observed in Orthanc 1.12.7 and its plugin: for every tag present in the request identifier, the answer
carries the stored main DICOM tag of the resource with that name (at STUDY level the patient's main tags
too), including a stored empty value; a requested key with no stored value is omitted; parent UIDs of
SERIES/INSTANCE answers and computed keys (ModalitiesInStudy, NumberOf...) are never returned because
they are not main tags of the queried level. Always added: QueryRetrieveLevel (as the caller spelled it),
RetrieveAETitle = the listener's AET, SpecificCharacterSet from DefaultEncoding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydicom.dataset import Dataset

from reference.rules.levels import Level
from reference.rules.matching import QUERY_RETRIEVE_LEVEL, SPECIFIC_CHARACTER_SET
from reference.rules.tags import main_tag

RETRIEVE_AE_TITLE = 0x00080054

# Orthanc's DefaultEncoding -> the DICOM defined term of SpecificCharacterSet (PS3.3 C.12.1.1.2).
CHARSETS: dict[str, str] = {
    "Ascii": "ISO_IR 6", "Utf8": "ISO_IR 192", "Latin1": "ISO_IR 100", "Latin2": "ISO_IR 101",
    "Latin3": "ISO_IR 109", "Latin4": "ISO_IR 110", "Latin5": "ISO_IR 148", "Cyrillic": "ISO_IR 144",
    "Windows1251": "ISO_IR 144", "Arabic": "ISO_IR 127", "Greek": "ISO_IR 126", "Hebrew": "ISO_IR 138",
    "Thai": "ISO_IR 166", "Japanese": "ISO_IR 13", "Chinese": "GB18030", "JapaneseKanji": "ISO 2022 IR 87",
    "Korean": "ISO 2022 IR 149", "SimplifiedChinese": "GB18030",
}
_NUMERIC_VRS = frozenset({"US", "SS", "UL", "SL", "FL", "FD"})


def charset_of(default_encoding: str) -> str:
    """The SpecificCharacterSet announced for `DefaultEncoding` (ISO_IR 100 for the default Latin1)."""
    return CHARSETS.get(default_encoding, "ISO_IR 100")


def answer_values(level: Level, requested: Iterable[int], own_tags: Mapping[str, str],
                  patient_tags: Mapping[str, str] | None = None) -> dict[int, tuple[str, str]]:
    """tag -> (VR, stored value) for each requested tag the answer carries (FIND-6)."""
    values: dict[int, tuple[str, str]] = {}
    for tag in requested:
        if tag in (QUERY_RETRIEVE_LEVEL, SPECIFIC_CHARACTER_SET, RETRIEVE_AE_TITLE):
            continue
        own = main_tag(level, tag)
        if own is not None and own.vr != "SQ" and own.keyword in own_tags:
            values[tag] = (own.vr, own_tags[own.keyword])
            continue
        if level is Level.STUDY and patient_tags is not None:
            patient = main_tag(Level.PATIENT, tag)
            if patient is not None and patient.keyword in patient_tags:
                values[tag] = (patient.vr, patient_tags[patient.keyword])
    return values


def build_find_answer(level: Level, requested: Iterable[int], own_tags: Mapping[str, str], *,
                      patient_tags: Mapping[str, str] | None = None, retrieve_aet: str,
                      charset: str = "ISO_IR 100", level_text: str | None = None) -> Dataset:
    """One C-FIND answer identifier (FIND-6)."""
    answer = Dataset()
    answer.SpecificCharacterSet = charset
    for tag, (vr, text) in sorted(answer_values(level, requested, own_tags, patient_tags).items()):
        answer.add_new(tag, vr, _element_value(vr, text))
    answer.QueryRetrieveLevel = level_text if level_text is not None else level.dicom_name
    answer.RetrieveAETitle = retrieve_aet
    return answer


def _element_value(vr: str, text: str) -> object:
    if vr not in _NUMERIC_VRS:
        return text
    numbers: list[int | float] = []
    for part in text.split("\\"):
        part = part.strip()
        if not part:
            continue
        try:
            numbers.append(float(part) if vr in ("FL", "FD") else int(part))
        except ValueError:
            return None
    if not numbers:
        return None
    return numbers[0] if len(numbers) == 1 else numbers
