"""LBL-1 and LBL-2: label validity and the label routes of every level (status codes, idempotence,
sorted lists), through the admin REST API.

Hypothesis draws valid labels from the whole LBL-1 alphabet and lengths 1..64, and label sets whose
listing must come back sorted and distinct.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.admin import AdminClient, level_path
from conformance.seeding import ArchiveBuilder, Seeded
from conformance.targets import LEVELS

LABEL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
valid_labels = st.text(LABEL_ALPHABET, min_size=1, max_size=64)
#: Labels that break LBL-1 by one character outside the alphabet (all of them URL-path safe) or length.
INVALID_LABELS = ("a b", "a.b", "a+b", "a*b", "a@b", "a:b", "a!b", "caf\u00e9", "x" * 65)
levels = st.sampled_from(LEVELS)


@pytest.fixture
def seeded(archive_builder: ArchiveBuilder) -> Seeded:
    return archive_builder.upload(archive_builder.spec())


def _path(seeded: Seeded, level: str, label: str | None = None) -> str:
    base = f"{level_path(level)}/{seeded.id_at(level)}/labels"
    return base if label is None else f"{base}/{label}"


@pytest.mark.clause("LBL-1", "LBL-2")
@given(level=levels, label=valid_labels)
def test_valid_label_can_be_added_read_and_removed(admin: AdminClient, seeded: Seeded, level: str,
                                                   label: str) -> None:
    assert admin.request("PUT", _path(seeded, level, label), data=b"").status == 200, f"PUT {label!r}"
    assert admin.has_label(level, seeded.id_at(level), label) == 200, f"GET {label!r} after PUT"
    assert label in admin.labels(level, seeded.id_at(level))
    assert admin.request("DELETE", _path(seeded, level, label)).status == 200, f"DELETE {label!r}"
    assert admin.has_label(level, seeded.id_at(level), label) == 404, f"GET {label!r} after DELETE"


@pytest.mark.clause("LBL-1", "LBL-2")
@pytest.mark.parametrize("label", INVALID_LABELS, ids=lambda label: repr(label)[:12])
@pytest.mark.parametrize("level", LEVELS)
def test_invalid_label_is_refused_with_400(admin: AdminClient, seeded: Seeded, level: str,
                                           label: str) -> None:
    status = admin.request("PUT", _path(seeded, level, label), data=b"").status
    assert status == 400, f"PUT of the invalid label {label!r} at {level} level answered {status}"
    assert label not in admin.labels(level, seeded.id_at(level))


@pytest.mark.clause("LBL-1")
def test_labels_are_case_sensitive(admin: AdminClient, seeded: Seeded) -> None:
    admin.add_label("Study", seeded.ids.study, "CaseLabel")
    assert admin.has_label("Study", seeded.ids.study, "caselabel") == 404
    assert admin.labels("Study", seeded.ids.study) == ["CaseLabel"]


@pytest.mark.clause("LBL-2")
@pytest.mark.parametrize("level", LEVELS)
def test_put_is_idempotent_and_delete_of_absent_label_succeeds(admin: AdminClient, seeded: Seeded,
                                                               level: str) -> None:
    for attempt in (1, 2):
        status = admin.request("PUT", _path(seeded, level, "twice"), data=b"").status
        assert status == 200, f"PUT number {attempt} answered {status}"
    assert admin.labels(level, seeded.id_at(level)) == ["twice"]
    assert admin.request("DELETE", _path(seeded, level, "never-added")).status == 200
    assert admin.labels(level, seeded.id_at(level)) == ["twice"]


@pytest.mark.clause("LBL-2")
@given(level=levels, labels=st.lists(valid_labels, min_size=1, max_size=6))
def test_label_list_is_sorted_and_distinct(admin: AdminClient, archive_builder: ArchiveBuilder, level: str,
                                           labels: list[str]) -> None:
    seeded = archive_builder.upload(archive_builder.spec(patient=archive_builder.next_index()))
    for label in labels:
        admin.add_label(level, seeded.id_at(level), label)
    listed = admin.labels(level, seeded.id_at(level))
    assert listed == sorted(set(labels)), f"added {labels}, listed {listed}"


@pytest.mark.clause("LBL-2")
@pytest.mark.parametrize("level", LEVELS)
def test_unknown_resource_is_404(admin: AdminClient, level: str) -> None:
    missing = "00000000-00000000-00000000-00000000-00000000"
    assert admin.request("PUT", f"{level_path(level)}/{missing}/labels/x", data=b"").status == 404
    assert admin.request("GET", f"{level_path(level)}/{missing}/labels").status == 404


@pytest.mark.clause("LBL-2")
def test_resource_id_at_the_wrong_level_is_404(admin: AdminClient, seeded: Seeded) -> None:
    status = admin.request("PUT", f"series/{seeded.ids.study}/labels/x", data=b"").status
    assert status == 404, f"PUT a label on /series/<a study ID> answered {status}"
    assert admin.labels("Study", seeded.ids.study) == []
