"""Pure C-FIND / `/tools/find` matching (FIND-5), no I/O.

Strategy: a query is a tuple of `Criterion` (tag, VR, raw value). Each criterion compiles, once, into
one `Matcher` chosen by the value's shape, in this order (as Orthanc 1.12.7's `/tools/find` was
observed to do):
  * empty value                      -> universal (matches anything, even a missing value)
  * contains `\\`                     -> list: equal to one of the items (items are never wildcards)
  * DA / TM / DT containing `-`      -> inclusive range, compared as strings (`a-b`, `a-`, `-b`)
  * contains `*` or `?` on a string VR (AE CS LO LT PN SH ST UC UR UT) -> wildcard (a lone `*` still
    needs the value to be present)
  * contains `*` or `?` on any other VR (UI, DA, IS...) -> `QueryError` (Orthanc: 400 "Wildcards are
    not allowed"), which the DIMSE layer maps to 0xC000: a UID key is never widened
  * otherwise                        -> equality (values are not trimmed, as Orthanc)
Case: insensitive unless `case_sensitive` (tenants and `/tools/find` default to insensitive for every
tag, UIDs included). A missing stored value matches only the universal matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from reference.rules.tags import keyword_of, parse_tag, vr_of

WILDCARD_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})
RANGE_VRS = frozenset({"DA", "TM", "DT"})
QUERY_RETRIEVE_LEVEL = 0x00080052
SPECIFIC_CHARACTER_SET = 0x00080005


class QueryError(ValueError):
    """The query cannot be matched as asked (wildcard in a UID, unknown tag name)."""


class MatchKind(StrEnum):
    UNIVERSAL = "universal"
    LIST = "list"
    RANGE = "range"
    WILDCARD = "wildcard"
    EQUAL = "equal"


@dataclass(frozen=True)
class Criterion:
    """One query key: `tag` must match `value` (raw DICOM query syntax)."""

    tag: int
    vr: str
    value: str

    @property
    def keyword(self) -> str:
        return keyword_of(self.tag)


@dataclass(frozen=True)
class Matcher:
    """A compiled criterion."""

    criterion: Criterion
    kind: MatchKind
    case_sensitive: bool
    items: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None

    def matches(self, stored: str | None) -> bool:
        if self.kind is MatchKind.UNIVERSAL:
            return True
        if stored is None:
            return False
        value = _norm(stored.strip(), self.case_sensitive)
        if self.kind is MatchKind.LIST or self.kind is MatchKind.EQUAL:
            return value in self.items
        if self.kind is MatchKind.RANGE:  # dates and times: compared as written, never case-folded
            low, high = self.items
            value = stored.strip()
            if not value:
                return False
            return (not low or value >= low) and (not high or value <= high)
        assert self.pattern is not None
        return self.pattern.fullmatch(value) is not None


def _norm(text: str, case_sensitive: bool) -> str:
    return text if case_sensitive else text.upper()


def _wildcard_regex(value: str) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value]
    return re.compile("".join(parts), re.DOTALL)


def compile_criterion(criterion: Criterion, *, case_sensitive: bool = False,
                      case_sensitive_pn: bool | None = None) -> Matcher:
    """Compile one criterion; QueryError for a wildcard in a UID key. `case_sensitive_pn` overrides
    the case rule for PN keys (Orthanc's main server: case-sensitive except PN, `CaseSensitivePN`)."""
    raw = criterion.value
    vr = criterion.vr
    if vr == "PN" and case_sensitive_pn is not None:
        case_sensitive = case_sensitive_pn
    if not raw:
        return Matcher(criterion, MatchKind.UNIVERSAL, case_sensitive)
    value = _norm(raw, case_sensitive)
    if "\\" in value:
        return Matcher(criterion, MatchKind.LIST, case_sensitive, items=tuple(value.split("\\")))
    if vr in RANGE_VRS and "-" in value:
        low, _, high = raw.partition("-")
        return Matcher(criterion, MatchKind.RANGE, case_sensitive, items=(low, high))
    if "*" in value or "?" in value:
        if vr not in WILDCARD_VRS:
            raise QueryError(f"wildcards are not allowed on {criterion.keyword} (VR {vr}): {raw!r}")
        return Matcher(criterion, MatchKind.WILDCARD, case_sensitive, pattern=_wildcard_regex(value))
    return Matcher(criterion, MatchKind.EQUAL, case_sensitive, items=(value,))


def compile_query(criteria: Iterable[Criterion], *, case_sensitive: bool = False,
                  case_sensitive_pn: bool | None = None) -> tuple[Matcher, ...]:
    """Compile every criterion, dropping universal ones (they filter nothing)."""
    compiled = (compile_criterion(c, case_sensitive=case_sensitive, case_sensitive_pn=case_sensitive_pn)
                for c in criteria)
    return tuple(m for m in compiled if m.kind is not MatchKind.UNIVERSAL)


def matches_all(matchers: Iterable[Matcher], stored: Mapping[int, str | None]) -> bool:
    """Whether values `stored` (tag -> value, None when absent) satisfy every matcher."""
    return all(m.matches(stored.get(m.criterion.tag)) for m in matchers)


def element_text(ds: Dataset, tag: int) -> str | None:
    """The value of `tag` in `ds` as Orthanc shows it: multi-values joined with `\\`, PN as text,
    numbers in decimal. None when absent; "" when present but empty; None for sequences and bytes."""
    if tag not in ds:
        return None
    element = ds[tag]
    if element.VR == "SQ":
        return None
    value = element.value
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return None
    if isinstance(value, str):
        return value.strip(" \x00")
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(_scalar_text(v) for v in value)
    return _scalar_text(value)


def _scalar_text(value: object) -> str:
    # str() of pydicom's IS/DS keeps the original text; PersonName gives its decoded text.
    return "" if value is None else str(value).strip(" \x00")


def _elements(identifier: Dataset) -> list[DataElement]:
    """The elements of an identifier, decoded; QueryError if one cannot be decoded (a malformed
    value must fail the query, never be skipped and so widen it)."""
    elements: list[DataElement] = []
    for tag in list(identifier.keys()):
        try:
            elements.append(identifier[tag])
        except Exception as exc:  # pydicom decodes lazily: any decoding error lands here
            raise QueryError(f"cannot decode element {tag}: {exc}") from None
    return elements


def criteria_from_identifier(identifier: Dataset, *, charset_is_filter: bool = True) -> tuple[Criterion, ...]:
    """The criteria of a C-FIND identifier: every element with a non-empty string value except
    QueryRetrieveLevel (and SpecificCharacterSet when `charset_is_filter` is false, FIND-7).
    QueryError if an element cannot be decoded."""
    criteria: list[Criterion] = []
    for element in _elements(identifier):
        tag = int(element.tag)
        if tag == QUERY_RETRIEVE_LEVEL or element.tag.is_private or element.tag.element == 0:
            continue
        if tag == SPECIFIC_CHARACTER_SET and not charset_is_filter:
            continue
        try:
            text = element_text(identifier, tag)
        except Exception as exc:
            raise QueryError(f"cannot decode {element.keyword or element.tag}: {exc}") from None
        if text:
            criteria.append(Criterion(tag, element.VR if element.VR != "UN" else vr_of(tag), text))
    return tuple(criteria)


def requested_tags(identifier: Dataset) -> tuple[int, ...]:
    """Every tag present in a C-FIND identifier (the keys the caller wants back, FIND-6)."""
    tags = list(identifier.keys())  # iterating a Dataset would decode every element
    return tuple(int(tag) for tag in tags if not tag.is_private and tag.element != 0)


def criteria_from_rest(query: Mapping[str, object]) -> tuple[Criterion, ...]:
    """The criteria of a `/tools/find` "Query" object: keys are keywords or `gggg,eeee`, values strings."""
    criteria: list[Criterion] = []
    for name, value in query.items():
        tag = parse_tag(name)
        if tag is None:
            raise QueryError(f"unknown DICOM tag {name!r}")
        if not isinstance(value, str):
            raise QueryError(f"the value of {name!r} must be a string")
        criteria.append(Criterion(tag, vr_of(tag), value))
    return tuple(criteria)
