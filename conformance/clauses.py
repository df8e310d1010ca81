"""The clause catalogue: every clause of SPEC.md with its grade, section, title and requirement.

Strategy: the catalogue is data, written once here and read by the marker check (plugin.py), by
``--list-clauses`` and by every report. The requirement texts restate SPEC.md in short; SPEC.md stays
the authority. Variant clauses list their named alternatives; a variant test records which one the
target showed (``record_variant``), and the report prints ``VARIANT-<alternative>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Grade = Literal["core", "compat", "variant"]

#: Strength order of grades: a test that checks a core and a compat clause is graded core.
GRADE_ORDER: tuple[Grade, ...] = ("core", "compat", "variant")


@dataclass(frozen=True)
class Clause:
    """One requirement of SPEC.md."""

    id: str
    grade: Grade
    section: str
    title: str
    text: str
    alternatives: tuple[str, ...] = ()


SECTIONS: dict[str, str] = {
    "CFG": "1. Configuration",
    "LBL": "2. Labels and the admin REST API",
    "ACL": "3. Access control",
    "ECHO": "4. C-ECHO",
    "STORE": "5. C-STORE through a tenant",
    "FIND": "6. C-FIND through a tenant",
    "MOVE": "7. C-MOVE through a tenant",
    "ISO": "8. Isolation under stress",
}

_ORTHANC_DICOM = ("orthanc", "dicom")

_CATALOGUE: tuple[Clause, ...] = (
    # 1. Configuration
    Clause("CFG-1", "core", SECTIONS["CFG"], "Tenant list",
           "MultitenantDicom.Servers is an array of tenant objects; missing or empty means no tenant, "
           "any other JSON type makes the server refuse to start."),
    Clause("CFG-2", "core", SECTIONS["CFG"], "Tenant AET",
           "Each tenant needs an AET string of 1 to 16 characters; a missing or invalid one stops the "
           "server from starting."),
    Clause("CFG-3", "core", SECTIONS["CFG"], "Tenant port",
           "Each tenant needs a non-negative integer Port. Orthanc neither detects clashes nor rejects "
           "values above 65535 (it truncates them); the reference refuses to start on either, naming the "
           "entry."),
    Clause("CFG-4", "core", SECTIONS["CFG"], "Tenant labels",
           "Each tenant needs a Labels array of valid label strings (empty allowed, duplicates merged); an "
           "invalid label stops the server from starting and is named."),
    Clause("CFG-5", "core", SECTIONS["CFG"], "Labels constraint",
           "LabelsConstraint is one of All (the default), Any or None, case-sensitive; anything else stops "
           "the server from starting."),
    Clause("CFG-6", "core", SECTIONS["CFG"], "Store levels",
           "LabelsStoreLevels lists levels (default Study, Series, Instance, without Patient), matched "
           "case-insensitively, plurals and Image accepted; [] means a C-STORE labels nothing; an unknown "
           "name stops the server from starting."),
    Clause("CFG-7", "compat", SECTIONS["CFG"], "Inherited options",
           "The top-level DICOM options (always-allow echo/store/find/move, called-AET and host checks, "
           "strict AET comparison, unknown SOP classes, SCP timeout, PDU length, synchronous C-MOVE, "
           "default encoding, live DicomModalities) apply to every tenant with Orthanc's defaults; TLS, "
           "C-GET, worklists and storage commitment do not."),
    Clause("CFG-8", "compat", SECTIONS["CFG"], "Start order and readiness",
           "Tenants are started after the main DICOM server, and a tenant counts as ready only once it "
           "answers C-ECHO."),
    # 2. Labels and the admin REST API
    Clause("LBL-1", "core", SECTIONS["LBL"], "Label validity",
           "A label is 1 to 64 characters taken from letters, digits, underscore and dash; labels are "
           "case-sensitive."),
    Clause("LBL-2", "core", SECTIONS["LBL"], "Label REST routes",
           "PUT on a resource's labels/{label} adds it idempotently, DELETE removes it (200 even if "
           "absent), GET labels lists them sorted, GET labels/{label} is 200 or 404; an invalid label gets "
           "400, an unknown resource or wrong level 404."),
    Clause("LBL-3", "core", SECTIONS["LBL"], "All labels",
           "GET /tools/labels lists every label used at any level, once each, sorted."),
    Clause("LBL-4", "core", SECTIONS["LBL"], "Find by labels",
           "POST /tools/find filters with Labels and LabelsConstraint (default All) on the resource's own "
           "labels at the requested Level only."),
    Clause("LBL-5", "variant", SECTIONS["LBL"], "Empty label set with None",
           "With an empty Labels list, All and Any apply no label filter; None applies no filter either "
           "(none-empty=all, Orthanc up to 1.12.10) or keeps only resources that carry no label at all "
           "(none-empty=unlabelled, Orthanc 1.12.11 and later). Tenants inherit this in C-FIND and C-MOVE.",
           ("none-empty=all", "none-empty=unlabelled")),
    Clause("LBL-6", "core", SECTIONS["LBL"], "Delete cascades",
           "Deleting a resource also deletes its children and the labels of all of them."),
    # 3. Access control
    Clause("ACL-1", "compat", SECTIONS["ACL"], "Echo and store from anyone",
           "A tenant accepts C-ECHO and C-STORE whatever the calling AET."),
    Clause("ACL-2", "compat", SECTIONS["ACL"], "Find and move need a known modality",
           "C-FIND and C-MOVE are served only for calling AETs declared in DicomModalities whose "
           "AllowFind/AllowMove is not false, unless the always-allow option is set; a refused request "
           "gets no status, its association is dropped."),
    Clause("ACL-3", "compat", SECTIONS["ACL"], "Called AET check",
           "With DicomCheckCalledAet, an association calling another AET than the tenant's is rejected at "
           "association time; without it (the default) any called AET is accepted."),
    Clause("ACL-4", "compat", SECTIONS["ACL"], "Negotiated services",
           "A tenant accepts Verification, Patient and Study Root FIND and MOVE and storage contexts, and "
           "rejects C-GET, Modality Worklist and Storage Commitment contexts."),
    # 4. C-ECHO
    Clause("ECHO-1", "core", SECTIONS["ECHO"], "Echo succeeds",
           "A tenant answers C-ECHO with status Success (0x0000)."),
    # 5. C-STORE
    Clause("STORE-1", "core", SECTIONS["STORE"], "Stored in the shared archive",
           "An instance stored through a tenant lands in the shared archive, visible to the main server "
           "and over REST."),
    Clause("STORE-2", "core", SECTIONS["STORE"], "Store labels",
           "After a successful tenant C-STORE, all of the tenant's labels are on the instance's resources "
           "at each level of LabelsStoreLevels and on no other level, whatever the constraint (a None "
           "tenant therefore cannot see what it stored)."),
    Clause("STORE-3", "core", SECTIONS["STORE"], "Re-store adds labels",
           "Storing an existing instance succeeds and adds the tenant's labels to those already there "
           "without removing any, so one instance stored through two tenants is visible to both."),
    Clause("STORE-4", "core", SECTIONS["STORE"], "Main server store is unlabelled",
           "A C-STORE through the main DICOM server adds no label."),
    Clause("STORE-5", "compat", SECTIONS["STORE"], "Store statuses",
           "C-STORE answers Success 0x0000; 0xC000 when the dataset lacks SOP Class or Instance UID; 0xA900 "
           "when its UIDs differ from the request's; 0xA700 when the archive refused it (the instance stays "
           "if only the labelling failed)."),
    # 6. C-FIND
    Clause("FIND-1", "core", SECTIONS["FIND"], "Find isolation",
           "A tenant C-FIND at a level returns exactly the resources of that level that match the keys and "
           "are visible to the tenant; no invisible resource ever appears, whatever the keys."),
    Clause("FIND-2", "core", SECTIONS["FIND"], "Visibility is per level",
           "Visibility is decided at the queried level only: a labelled study does not reveal its series, a "
           "labelled series does not reveal its study, and patients are invisible to All/Any tenants unless "
           "the patients themselves are labelled."),
    Clause("FIND-3", "core", SECTIONS["FIND"], "Patient and Study Root agree",
           "The Patient Root and Study Root information models return the same answers."),
    Clause("FIND-4", "variant", SECTIONS["FIND"], "Level names",
           "orthanc: only PATIENT, STUDY, SERIES and INSTANCE are accepted, IMAGE and lower-case names get "
           "0xC000; dicom: IMAGE is accepted. A missing level gets 0xC000 either way.",
           _ORTHANC_DICOM),
    Clause("FIND-5", "compat", SECTIONS["FIND"], "Matching rules",
           "Matching follows /tools/find: * and ? wildcards on string VRs, inclusive date/time ranges, "
           "backslash lists, case-insensitive for every tag including UIDs; non-main tags with a value "
           "filter too; a wildcard in a UID key never widens the match (0xC000 or no match)."),
    Clause("FIND-6", "compat", SECTIONS["FIND"], "Answer content",
           "One Pending answer per match then Success; each answer carries the requested main tags of the "
           "level that have a stored value (and patient tags at STUDY level), no parent UIDs at SERIES and "
           "INSTANCE, no computed keys, plus QueryRetrieveLevel, RetrieveAETitle (the tenant's AET) and "
           "SpecificCharacterSet."),
    Clause("FIND-7", "variant", SECTIONS["FIND"], "SpecificCharacterSet in the query",
           "A SpecificCharacterSet value in the query either filters the answers (orthanc<=1.12) or is "
           "ignored (orthanc>=1.13).",
           ("orthanc<=1.12", "orthanc>=1.13")),
    # 7. C-MOVE
    Clause("MOVE-1", "core", SECTIONS["MOVE"], "Move isolation",
           "A tenant C-MOVE sends only resources visible to it at the requested level and silently skips "
           "the rest (no failure count, no error), so nothing invisible can be retrieved or detected."),
    Clause("MOVE-2", "core", SECTIONS["MOVE"], "Whole resource sent",
           "A visible resource is sent with every one of its instances, whatever their own labels."),
    Clause("MOVE-3", "compat", SECTIONS["MOVE"], "Move keys",
           "PATIENT uses PatientID, STUDY StudyInstanceUID or else AccessionNumber, SERIES "
           "SeriesInstanceUID, INSTANCE SOPInstanceUID; backslash lists select several, wildcards work on "
           "PatientID and AccessionNumber, matching ignores case; without a level the first of INSTANCE, "
           "SERIES, STUDY, PATIENT that matches something visible is used."),
    Clause("MOVE-4", "variant", SECTIONS["MOVE"], "Unknown destination",
           "A destination AET missing from DicomModalities gets 0xC000 (orthanc) or 0xA801 (dicom).",
           _ORTHANC_DICOM),
    Clause("MOVE-5", "variant", SECTIONS["MOVE"], "Move responses",
           "orthanc: a single final status counting one sub-operation (Completed=1 even when nothing was "
           "sent) and no Pending; dicom: one sub-operation per instance, with Pending responses.",
           _ORTHANC_DICOM),
    Clause("MOVE-6", "variant", SECTIONS["MOVE"], "Sub-operation AETs",
           "orthanc: the sub-association calls the tenant's AET from the main DicomAet; dicom: it calls the "
           "destination's AET. A destination checking its called AET rejects orthanc's sub-operations.",
           _ORTHANC_DICOM),
    Clause("MOVE-7", "compat", SECTIONS["MOVE"], "Nothing to move",
           "When nothing is visible, nothing matches or the key is empty, the answer is Success with "
           "Completed=1 and no association is opened to the destination."),
    # 8. Isolation under stress
    Clause("ISO-1", "core", SECTIONS["ISO"], "Isolation under concurrency",
           "FIND-1 and MOVE-1 keep holding while other tenants and the main server store, label, unlabel "
           "and delete at the same time."),
    Clause("ISO-2", "core", SECTIONS["ISO"], "Robustness",
           "No malformed PDU, invalid dataset, oversized or wildcard key or unknown AET crashes the server, "
           "keeps an association open beyond DicomScpTimeout, blocks other associations or reveals a "
           "resource the tenant cannot see."),
)

CLAUSES: dict[str, Clause] = {clause.id: clause for clause in _CATALOGUE}


def clause_sort_key(clause_id: str) -> tuple[int, int, str]:
    """Order clause IDs as SPEC.md does: by section, then by number (CFG-2 before CFG-10)."""
    prefix, _, number = clause_id.partition("-")
    sections = list(SECTIONS)
    section_rank = sections.index(prefix) if prefix in sections else len(sections)
    return (section_rank, int(number) if number.isdigit() else 0, clause_id)


def grade_of(clause_ids: Iterable[str]) -> Grade:
    """The strongest grade among ``clause_ids`` (core > compat > variant).

    Raises KeyError naming the first unknown clause ID, and ValueError for an empty list.
    """
    grades = {CLAUSES[clause_id].grade for clause_id in clause_ids}
    for grade in GRADE_ORDER:
        if grade in grades:
            return grade
    raise ValueError("grade_of() needs at least one clause ID")


def unknown_clauses(clause_ids: Iterable[str]) -> list[str]:
    """The IDs among ``clause_ids`` that are not in the catalogue, in the given order."""
    return [clause_id for clause_id in clause_ids if clause_id not in CLAUSES]
