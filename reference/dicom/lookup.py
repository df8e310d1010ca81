"""The one place where a listener asks the archive what it may see (FIND-1, MOVE-1).

A tenant's lookups are filtered by its labels at the queried level only and matched case-insensitively
(FIND-5); the main server sees everything and matches case-sensitively. Both C-FIND and C-MOVE go
through ``find_visible``, so a resource a tenant cannot find is also one it cannot retrieve.
"""

from __future__ import annotations

from collections.abc import Sequence

from reference.archive.archive import Resource
from reference.dicom.context import ListenerContext
from reference.rules.levels import Level
from reference.rules.matching import Criterion, QueryError
from reference.rules.tags import parse_tag, vr_of

__all__ = ["QueryError", "find_visible", "lookup_ids"]


def find_visible(ctx: ListenerContext, level: Level, criteria: Sequence[Criterion]) -> list[Resource]:
    """The resources of ``level`` matching ``criteria`` that the listener may see; QueryError if the
    query cannot be matched as asked (a wildcard in a UID key)."""
    view = ctx.view
    if view is None:
        return list(ctx.archive.find(level, tuple(criteria), labels=frozenset(), case_sensitive=True))
    return list(ctx.archive.find(level, tuple(criteria), labels=view.labels, constraint=view.constraint,
                                 none_empty=view.none_empty, case_sensitive=False))


def lookup_ids(ctx: ListenerContext, level: Level, keyword: str, value: str) -> list[str]:
    """The IDs of the visible resources of ``level`` whose ``keyword`` matches ``value`` (MOVE-3)."""
    tag = parse_tag(keyword)
    if tag is None:  # a programming error: MOVE_KEYS only names dictionary keywords
        raise QueryError(f"unknown keyword {keyword!r}")
    return [resource.id for resource in find_visible(ctx, level, (Criterion(tag, vr_of(tag), value),))]
