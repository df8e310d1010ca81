"""The model's own C-FIND key matching (SPEC FIND-5), written from the spec alone.

Strategy: a key value is classified once into a ``KeyKind`` (universal, exact, wildcard, range,
list, uid-wildcard) by a small table of VR rules, then a classified key is matched against a
stored value. Everything is case-insensitive (tenants match like ``/tools/find``: FIND-5 says
every tag, UIDs included). Two kinds are deliberately *not* given a single answer:

* ``UID_WILDCARD`` -- a ``*`` or ``?`` in a UID key is never a wildcard; a conforming server
  answers 0xC000 or matches nothing beyond the literal value ("never widens").
* ``AMBIGUOUS`` -- a ``\\`` list whose items carry wildcards or ranges. The spec does not say
  whether list items are patterns, so the model only bounds the answer: it can be the items taken
  literally, or as patterns, but nothing else.

``match_key`` therefore answers a ``Tri`` (YES, NO, MAYBE) and callers turn MAYBE into the "may"
side of an expectation. Pure functions, no I/O; never imports ``reference``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from conformance.model.tags import RANGE_VRS, STRING_VRS


class KeyKind(Enum):
    UNIVERSAL = "universal"
    EXACT = "exact"
    WILDCARD = "wildcard"
    RANGE = "range"
    LIST = "list"
    UID_WILDCARD = "uid-wildcard"
    AMBIGUOUS = "ambiguous"


class Tri(Enum):
    """A three-valued match: MAYBE where the spec leaves the outcome open."""

    NO = 0
    YES = 1
    MAYBE = 2


@dataclass(frozen=True)
class ClassifiedKey:
    kind: KeyKind
    vr: str
    value: str
    items: tuple[str, ...] = ()


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def classify(vr: str, value: str) -> ClassifiedKey:
    """Which rule of FIND-5 a key value falls under."""
    if value == "":
        return ClassifiedKey(KeyKind.UNIVERSAL, vr, value)
    if vr == "UI" and _has_wildcard(value):
        return ClassifiedKey(KeyKind.UID_WILDCARD, vr, value, tuple(value.split("\\")))
    if "\\" in value:
        items = tuple(value.split("\\"))
        patterned = any(
            (vr in STRING_VRS and _has_wildcard(i)) or (vr in RANGE_VRS and "-" in i) for i in items
        )
        return ClassifiedKey(KeyKind.AMBIGUOUS if patterned else KeyKind.LIST, vr, value, items)
    if vr in RANGE_VRS and "-" in value:
        return ClassifiedKey(KeyKind.RANGE, vr, value)
    if vr in STRING_VRS and _has_wildcard(value):
        return ClassifiedKey(KeyKind.WILDCARD, vr, value)
    return ClassifiedKey(KeyKind.EXACT, vr, value)


def _fold(value: str) -> str:
    return value.upper()


def wildcard_match(pattern: str, stored: str) -> bool:
    """``*`` = any run of characters, ``?`` = exactly one; case-insensitive, anchored."""
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in _fold(pattern))
    return re.fullmatch("".join(parts), _fold(stored), flags=re.DOTALL) is not None


def range_match(key: str, stored: str) -> bool:
    """Inclusive ``a-b``, ``a-``, ``-b`` on DA/TM/DT; values compare as strings (YYYYMMDD, HHMMSS)."""
    low, _, high = key.partition("-")
    if low and stored < low:
        return False
    return not (high and stored > high)


def exact_match(key: str, stored: str) -> bool:
    return _fold(key) == _fold(stored)


def _item_literal(item: str, stored: str) -> bool:
    return item != "" and exact_match(item, stored)


def _item_pattern(vr: str, item: str, stored: str) -> bool:
    return match_key(classify(vr, item), stored) is Tri.YES


def match_key(key: ClassifiedKey, stored: str | None) -> Tri:
    """Does a resource whose stored value is ``stored`` (None: absent) match ``key``?"""
    if key.kind is KeyKind.UNIVERSAL:
        return Tri.YES
    if stored is None or stored == "":
        return Tri.NO
    if key.kind is KeyKind.EXACT:
        return Tri.YES if exact_match(key.value, stored) else Tri.NO
    if key.kind is KeyKind.WILDCARD:
        return Tri.YES if wildcard_match(key.value, stored) else Tri.NO
    if key.kind is KeyKind.RANGE:
        return Tri.YES if range_match(key.value, stored) else Tri.NO
    if key.kind is KeyKind.LIST:
        return Tri.YES if any(_item_literal(i, stored) for i in key.items) else Tri.NO
    if key.kind is KeyKind.UID_WILDCARD:
        # Never widens: at most the literal items may match, and matching nothing is also fine.
        return Tri.MAYBE if any(_item_literal(i, stored) for i in key.items) else Tri.NO
    # AMBIGUOUS: literal items or patterns; outside both readings is a NO.
    literal = any(_item_literal(i, stored) for i in key.items)
    patterned = any(_item_pattern(key.vr, i, stored) for i in key.items if i)
    if literal and patterned:
        return Tri.YES
    return Tri.MAYBE if literal or patterned else Tri.NO


def failure_allowed(key: ClassifiedKey) -> bool:
    """May a conforming server answer 0xC000 instead of matches (FIND-5: UID wildcards)?"""
    return key.kind is KeyKind.UID_WILDCARD


def tri_and(a: Tri, b: Tri) -> Tri:
    if Tri.NO in (a, b):
        return Tri.NO
    return Tri.YES if a is Tri.YES and b is Tri.YES else Tri.MAYBE
