"""The independent model of SPEC.md: plain data and pure functions; never imports ``reference``.

``tags`` is the attribute table, ``archive`` the archive as immutable data, ``expected`` what a
conforming tenant answers; ``conformance.model.matching`` holds the C-FIND key matching (FIND-5).
"""

from conformance.model.archive import (
    Archive,
    Resource,
    ResourceKey,
    delete,
    merge,
    orthanc_id,
    relabel,
    store,
)
from conformance.model.expected import (
    NONE_EMPTY_ALL,
    NONE_EMPTY_UNLABELLED,
    Expectation,
    Tenant,
    TenantLike,
    expected_answer,
    expected_find,
    expected_move,
    expected_store_labels,
    hiding_labels,
    showing_labels,
    store_levels,
    visible,
)
from conformance.model.tags import TAGS, Level, answer_keys, main_keys, parse_level

__all__ = [
    "NONE_EMPTY_ALL",
    "NONE_EMPTY_UNLABELLED",
    "TAGS",
    "Archive",
    "Expectation",
    "Level",
    "Resource",
    "ResourceKey",
    "Tenant",
    "TenantLike",
    "answer_keys",
    "delete",
    "expected_answer",
    "expected_find",
    "expected_move",
    "expected_store_labels",
    "hiding_labels",
    "main_keys",
    "merge",
    "orthanc_id",
    "parse_level",
    "relabel",
    "showing_labels",
    "store",
    "store_levels",
    "visible",
]
