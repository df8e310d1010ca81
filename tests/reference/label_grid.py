"""The labelled grid shared by the C-FIND and C-MOVE network tests, and section 0 restated for them.

Resources carry labels cycling through {a}, {b}, {a,b}, {} with a different phase per level, so that
every tenant sees a different, non-trivial subset at every level. Visibility is computed here,
independently of the reference's own rules.
"""

from __future__ import annotations

from pydicom import Dataset

from reference.rules.levels import Level

LABEL_CYCLE: tuple[frozenset[str], ...] = (frozenset({"a"}), frozenset({"b"}), frozenset({"a", "b"}),
                                           frozenset())
KEYS = {Level.PATIENT: "PatientID", Level.STUDY: "StudyInstanceUID", Level.SERIES: "SeriesInstanceUID",
        Level.INSTANCE: "SOPInstanceUID"}


def expected_visible(resource: frozenset[str], tenant: frozenset[str], constraint: str) -> bool:
    """Section 0 (LBL-5 none-empty=all: a tenant without labels has no filter)."""
    if not tenant:
        return True
    if constraint == "All":
        return tenant <= resource
    if constraint == "Any":
        return bool(tenant & resource)
    return not tenant & resource


def identifier(level: str | None, **keys: str) -> Dataset:
    """A C-FIND/C-MOVE identifier: QueryRetrieveLevel (unless None) and the given keys."""
    ds = Dataset()
    if level is not None:
        ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds
