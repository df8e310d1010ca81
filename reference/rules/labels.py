"""Labels: validity (LBL-1), label constraints and per-level visibility (section 0, LBL-5)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

NONE_EMPTY_ALL: Final = "none-empty=all"
NONE_EMPTY_UNLABELLED: Final = "none-empty=unlabelled"
NONE_EMPTY_ALTERNATIVES: Final = (NONE_EMPTY_ALL, NONE_EMPTY_UNLABELLED)

_LABEL = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Constraint(StrEnum):
    """How a tenant's labels filter resources (CFG-5, LBL-4); the value is Orthanc's spelling."""

    ALL = "All"
    ANY = "Any"
    NONE = "None"


def parse_constraint(value: str) -> Constraint:
    """Case-sensitive, as Orthanc (CFG-5); ValueError otherwise."""
    for constraint in Constraint:
        if constraint.value == value:
            return constraint
    raise ValueError(f"must be one of All, Any, None (got {value!r})")


def is_valid_label(label: str) -> bool:
    """LBL-1: 1 to 64 characters of A-Z a-z 0-9 _ -, case-sensitive."""
    return isinstance(label, str) and _LABEL.fullmatch(label) is not None


def is_visible(resource_labels: frozenset[str], tenant_labels: frozenset[str], constraint: Constraint,
               none_empty: str = NONE_EMPTY_ALL) -> bool:
    """Section 0: whether a resource with `resource_labels` (its own, never inherited) is visible.

    LBL-5: with no tenant label, `All` and `Any` do not filter; `None` does not filter either under
    `none-empty=all`, and keeps only unlabelled resources under `none-empty=unlabelled`.
    """
    if not tenant_labels:
        if constraint is Constraint.NONE and none_empty == NONE_EMPTY_UNLABELLED:
            return not resource_labels
        return True
    if constraint is Constraint.ALL:
        return tenant_labels <= resource_labels
    if constraint is Constraint.ANY:
        return not tenant_labels.isdisjoint(resource_labels)
    return tenant_labels.isdisjoint(resource_labels)
