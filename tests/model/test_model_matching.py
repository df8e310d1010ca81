"""FIND-5 matching examples, one per rule of the spec."""

from __future__ import annotations

import pytest

from conformance.model.matching import KeyKind, Tri, classify, match_key


@pytest.mark.parametrize(
    ("vr", "key", "stored", "expected"),
    [
        ("LO", "", None, Tri.YES),  # universal matching, even on an absent value
        ("LO", "ABC", None, Tri.NO),
        ("LO", "abc", "ABC", Tri.YES),  # case-insensitive for every tag
        ("UI", "1.2.3", "1.2.3", Tri.YES),
        ("UI", "1.2.3", "1.2.30", Tri.NO),
        ("PN", "doe*", "DOE^JOHN", Tri.YES),
        ("PN", "D?E^*", "DOE^JOHN", Tri.YES),
        ("PN", "D?E", "DOE^JOHN", Tri.NO),  # anchored
        ("LO", "*ANNA", "SMITH^ANNA", Tri.YES),
        ("CS", "C?", "CT", Tri.YES),
        ("DA", "20150101-20200615", "20200615", Tri.YES),  # inclusive
        ("DA", "20150101-20200615", "20241231", Tri.NO),
        ("DA", "20200101-", "20241231", Tri.YES),
        ("DA", "-20200615", "20150101", Tri.YES),
        ("DA", "-20200615", "20241231", Tri.NO),
        ("TM", "100000-110000", "101500", Tri.YES),
        ("LO", "A\\B", "b", Tri.YES),  # lists
        ("LO", "A\\B", "C", Tri.NO),
        ("UI", "1.2\\1.3", "1.3", Tri.YES),
        ("IS", "1*", "12", Tri.NO),  # no wildcard on IS: literal
        ("UI", "1.2.3*", "1.2.34", Tri.NO),  # UID wildcards never widen
        ("UI", "1.2.3*", "1.2.3*", Tri.MAYBE),  # the literal value may match, or nothing
        ("UI", "1.2.3\\1.4*", "1.2.3", Tri.MAYBE),
        ("LO", "CHEST*\\x", "CHEST CT", Tri.MAYBE),  # list items as patterns: not fixed by the spec
        ("LO", "CHEST*\\x", "y", Tri.NO),
    ],
)
def test_match_key(vr: str, key: str, stored: str | None, expected: Tri) -> None:
    assert match_key(classify(vr, key), stored) is expected


@pytest.mark.parametrize(
    ("vr", "key", "kind"),
    [
        ("LO", "", KeyKind.UNIVERSAL),
        ("UI", "1.2*", KeyKind.UID_WILDCARD),
        ("UI", "1.2?", KeyKind.UID_WILDCARD),
        ("DA", "2020-", KeyKind.RANGE),
        ("LO", "a-b", KeyKind.EXACT),  # a dash is a range only on DA/TM/DT
        ("SH", "A\\B", KeyKind.LIST),
        ("SH", "A*", KeyKind.WILDCARD),
    ],
)
def test_classify(vr: str, key: str, kind: KeyKind) -> None:
    assert classify(vr, key).kind is kind
