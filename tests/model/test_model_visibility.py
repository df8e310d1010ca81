"""Truth tables of SPEC section 0 and LBL-5: which own labels make a resource visible."""

from __future__ import annotations

import pytest

from conformance.model import (
    NONE_EMPTY_ALL,
    NONE_EMPTY_UNLABELLED,
    Tenant,
    hiding_labels,
    showing_labels,
    visible,
)

AB = ("a", "b")


@pytest.mark.parametrize(
    ("constraint", "labels", "have", "expected"),
    [
        ("All", AB, set(), False),
        ("All", AB, {"a"}, False),
        ("All", AB, {"a", "b"}, True),
        ("All", AB, {"a", "b", "c"}, True),
        ("Any", AB, set(), False),
        ("Any", AB, {"b"}, True),
        ("Any", AB, {"c"}, False),
        ("None", AB, set(), True),
        ("None", AB, {"c"}, True),
        ("None", AB, {"a"}, False),
        ("None", AB, {"a", "b"}, False),
        ("All", ("a",), {"A"}, False),  # labels are case-sensitive (LBL-1)
    ],
)
def test_visibility_truth_table(
    constraint: str, labels: tuple[str, ...], have: set[str], expected: bool
) -> None:
    assert visible(have, Tenant("T", labels, constraint)) is expected


@pytest.mark.parametrize("have", [set(), {"a"}])
@pytest.mark.parametrize("constraint", ["All", "Any"])
def test_empty_label_set_is_no_filter_for_all_and_any(constraint: str, have: set[str]) -> None:
    assert visible(have, Tenant("T", (), constraint))
    assert visible(have, Tenant("T", (), constraint), NONE_EMPTY_UNLABELLED)


def test_none_with_empty_labels_depends_on_lbl5_variant() -> None:
    tenant = Tenant("T", (), "None")
    assert visible({"a"}, tenant, NONE_EMPTY_ALL)
    assert not visible({"a"}, tenant, NONE_EMPTY_UNLABELLED)
    assert visible(set(), tenant, NONE_EMPTY_UNLABELLED)


def test_unknown_constraint_is_refused() -> None:
    with pytest.raises(ValueError):
        visible(set(), Tenant("T", ("a",), "all"))


@pytest.mark.parametrize(
    "model_tenant",
    [
        Tenant("T", AB, "All"),
        Tenant("T", AB, "Any"),
        Tenant("T", AB, "None"),
        Tenant("T", (), "All"),
        Tenant("T", (), "None"),
        Tenant("T", ("a",), "All"),
    ],
)
def test_showing_and_hiding_labels(model_tenant: Tenant) -> None:
    for variant in (NONE_EMPTY_ALL, NONE_EMPTY_UNLABELLED):
        assert visible(showing_labels(model_tenant), model_tenant, variant)
        hiding = hiding_labels(model_tenant)
        assert hiding is None or not visible(hiding, model_tenant, variant)
