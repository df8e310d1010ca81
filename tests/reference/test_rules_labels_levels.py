"""Pure rules: label validity (LBL-1), visibility (section 0, LBL-5), level names (CFG-6, FIND-4)."""

from __future__ import annotations

import pytest

from reference.rules.labels import (
    NONE_EMPTY_ALL,
    NONE_EMPTY_UNLABELLED,
    Constraint,
    is_valid_label,
    is_visible,
    parse_constraint,
)
from reference.rules.levels import Level, parse_level_name, parse_plural, parse_query_retrieve_level

F = frozenset


@pytest.mark.parametrize("label", ["a", "Z", "0", "_", "-", "hello_World-2", "x" * 64])
def test_valid_labels(label: str) -> None:
    assert is_valid_label(label)


@pytest.mark.parametrize("label", ["", "x" * 65, "a b", "a!", "é", "a.b", "a/b", "a\n", "\u0661"])
def test_invalid_labels(label: str) -> None:
    assert not is_valid_label(label)


@pytest.mark.parametrize(("resource", "tenant_labels", "constraint", "expected"), [
    (F({"a", "b"}), F({"a", "b"}), Constraint.ALL, True),
    (F({"a"}), F({"a", "b"}), Constraint.ALL, False),
    (F(), F({"a"}), Constraint.ALL, False),
    (F({"a", "c"}), F({"a", "b"}), Constraint.ANY, True),
    (F({"c"}), F({"a", "b"}), Constraint.ANY, False),
    (F(), F({"a"}), Constraint.ANY, False),
    (F({"c"}), F({"a", "b"}), Constraint.NONE, True),
    (F(), F({"a"}), Constraint.NONE, True),
    (F({"b", "c"}), F({"a", "b"}), Constraint.NONE, False),
    (F({"A"}), F({"a"}), Constraint.ALL, False),  # labels are case-sensitive
])
def test_visibility_by_constraint(resource: frozenset[str], tenant_labels: frozenset[str],
                                  constraint: Constraint, expected: bool) -> None:
    assert is_visible(resource, tenant_labels, constraint) is expected


@pytest.mark.parametrize("constraint", [Constraint.ALL, Constraint.ANY])
@pytest.mark.parametrize("none_empty", [NONE_EMPTY_ALL, NONE_EMPTY_UNLABELLED])
def test_empty_tenant_labels_do_not_filter_all_or_any(constraint: Constraint, none_empty: str) -> None:
    assert is_visible(F(), F(), constraint, none_empty)
    assert is_visible(F({"x"}), F(), constraint, none_empty)


def test_lbl5_none_with_empty_labels_both_alternatives() -> None:
    assert is_visible(F({"x"}), F(), Constraint.NONE, NONE_EMPTY_ALL)
    assert is_visible(F(), F(), Constraint.NONE, NONE_EMPTY_ALL)
    assert not is_visible(F({"x"}), F(), Constraint.NONE, NONE_EMPTY_UNLABELLED)
    assert is_visible(F(), F(), Constraint.NONE, NONE_EMPTY_UNLABELLED)


def test_parse_constraint_is_case_sensitive() -> None:
    assert parse_constraint("Any") is Constraint.ANY
    with pytest.raises(ValueError, match="All, Any, None"):
        parse_constraint("any")


@pytest.mark.parametrize(("name", "level"), [
    ("Patient", Level.PATIENT), ("patients", Level.PATIENT), ("STUDY", Level.STUDY),
    ("Studies", Level.STUDY), ("series", Level.SERIES), ("Instance", Level.INSTANCE),
    ("instances", Level.INSTANCE), ("Image", Level.INSTANCE), ("IMAGES", Level.INSTANCE),
])
def test_parse_level_name(name: str, level: Level) -> None:
    assert parse_level_name(name) is level


@pytest.mark.parametrize("name", ["", "Patientz", "frame", "Serie"])
def test_parse_level_name_refuses_unknown(name: str) -> None:
    with pytest.raises(ValueError):
        parse_level_name(name)


def test_level_hierarchy_and_plurals() -> None:
    assert Level.PATIENT.parent is None and Level.INSTANCE.child is None
    assert Level.SERIES.parent is Level.STUDY and Level.STUDY.child is Level.SERIES
    assert [parse_plural(level.plural) for level in Level] == list(Level)
    assert parse_plural("Studies") is None


@pytest.mark.parametrize(("value", "accept_image", "expected"), [
    ("PATIENT", False, Level.PATIENT), ("STUDY ", False, Level.STUDY), ("INSTANCE", False, Level.INSTANCE),
    ("IMAGE", False, None), ("IMAGE", True, Level.INSTANCE), ("study", False, None), ("study", True, None),
    ("", False, None),
])
def test_find4_query_retrieve_level(value: str, accept_image: bool, expected: Level | None) -> None:
    assert parse_query_retrieve_level(value, accept_image=accept_image) is expected
