"""Resource levels of the archive (Patient > Study > Series > Instance) and their names (CFG-6, FIND-4)."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """A level of the resource hierarchy; the value is Orthanc's REST spelling."""

    PATIENT = "Patient"
    STUDY = "Study"
    SERIES = "Series"
    INSTANCE = "Instance"

    @property
    def depth(self) -> int:
        """0 for Patient ... 3 for Instance."""
        return _ORDER.index(self)

    @property
    def parent(self) -> Level | None:
        return None if self is Level.PATIENT else _ORDER[self.depth - 1]

    @property
    def child(self) -> Level | None:
        return None if self is Level.INSTANCE else _ORDER[self.depth + 1]

    @property
    def plural(self) -> str:
        """The REST collection name: patients, studies, series, instances."""
        return _PLURALS[self]

    @property
    def dicom_name(self) -> str:
        """The QueryRetrieveLevel spelling Orthanc accepts: PATIENT, STUDY, SERIES, INSTANCE."""
        return self.value.upper()


_ORDER: tuple[Level, ...] = (Level.PATIENT, Level.STUDY, Level.SERIES, Level.INSTANCE)
LEVELS = _ORDER
_PLURALS = {Level.PATIENT: "patients", Level.STUDY: "studies", Level.SERIES: "series",
            Level.INSTANCE: "instances"}

# CFG-6 and Orthanc's StringToResourceType: case-insensitive, plurals, and "Image" for Instance.
_NAMES: dict[str, Level] = {
    "patient": Level.PATIENT, "patients": Level.PATIENT,
    "study": Level.STUDY, "studies": Level.STUDY,
    "series": Level.SERIES,
    "instance": Level.INSTANCE, "instances": Level.INSTANCE,
    "image": Level.INSTANCE, "images": Level.INSTANCE,
}


def parse_level_name(name: str) -> Level:
    """Parse a level name as Orthanc's configuration and REST API do; ValueError if unknown."""
    try:
        return _NAMES[name.strip().lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown resource level {name!r}") from None


def parse_plural(collection: str) -> Level | None:
    """The level of a REST collection name (`patients`, `studies`, `series`, `instances`), exact."""
    for level, plural in _PLURALS.items():
        if plural == collection:
            return level
    return None


def parse_query_retrieve_level(value: str, *, accept_image: bool) -> Level | None:
    """FIND-4: the level of a C-FIND/C-MOVE QueryRetrieveLevel, or None when it is refused.

    `orthanc` accepts exactly PATIENT, STUDY, SERIES, INSTANCE (upper case, surrounding spaces
    ignored); `dicom` (`accept_image=True`) also accepts IMAGE.
    """
    text = value.strip()
    for level in _ORDER:
        if text == level.dicom_name:
            return level
    if accept_image and text == "IMAGE":
        return Level.INSTANCE
    return None
