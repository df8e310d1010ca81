"""LBL-3..LBL-6: /tools/labels, /tools/find with label constraints, the empty-label variant, and
deletion cascading to labels and children.

Every label is unique to the test (suffixed with the test's UID tag) and every /tools/find is
restricted to the test's own patient, so resources of other tests on the shared archive never count.
"""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.fixtures import RecordVariant
from conformance.seeding import ArchiveBuilder, Seeded
from conformance.targets import LEVELS

#: (labels on the resource) for the four resources of the LBL-4 test, by name.
SHAPES: dict[str, tuple[str, ...]] = {"none": (), "x": ("x",), "y": ("y",), "xy": ("x", "y")}


def _visible(resource: set[str], labels: set[str], constraint: str) -> bool:
    """SPEC.md section 0, restated for non-empty ``labels``."""
    if constraint == "All":
        return labels <= resource
    if constraint == "Any":
        return bool(labels & resource)
    return not labels & resource


def _unique(builder: ArchiveBuilder, label: str) -> str:
    return f"{label}{builder.patient_id()[2:].replace('-', '_')}"


@pytest.fixture
def shaped(archive_builder: ArchiveBuilder) -> dict[str, Seeded]:
    """One patient with four studies (one series each) whose study, series and instance carry SHAPES."""
    seeded: dict[str, Seeded] = {}
    for index, (name, labels) in enumerate(SHAPES.items(), start=1):
        unique = [_unique(archive_builder, label) for label in labels]
        seeded[name] = archive_builder.upload(archive_builder.spec(study=index),
                                              labels={"Study": unique, "Series": unique, "Instance": unique})
    return seeded


@pytest.mark.clause("LBL-3")
def test_tools_labels_lists_every_label_in_use_sorted_and_distinct(
        admin: AdminClient, archive_builder: ArchiveBuilder) -> None:
    seeded = archive_builder.upload(archive_builder.spec())
    mine = {level: _unique(archive_builder, f"l{level}") for level in LEVELS}
    for level, label in mine.items():
        admin.add_label(level, seeded.id_at(level), label)
    admin.add_label("Series", seeded.ids.series, mine["Study"])  # the same label at two levels
    listed = admin.all_labels()
    missing = set(mine.values()) - set(listed)
    assert not missing, f"missing from /tools/labels: {missing}"
    assert listed == sorted(set(listed)), f"/tools/labels is not sorted and distinct: {listed}"


@pytest.mark.clause("LBL-4")
@pytest.mark.parametrize("constraint", ["All", "Any", "None"])
@pytest.mark.parametrize("wanted", [("x",), ("x", "y"), ("x", "z")], ids=["x", "xy", "xz"])
@pytest.mark.parametrize("level", ["Study", "Series", "Instance"])
def test_tools_find_filters_by_constraint_on_own_labels(
        admin: AdminClient, archive_builder: ArchiveBuilder, shaped: dict[str, Seeded], level: str,
        wanted: tuple[str, ...], constraint: str) -> None:
    labels = [_unique(archive_builder, label) for label in wanted]
    found = set(admin.find(level, {"PatientID": archive_builder.patient_id()}, labels, constraint))
    expected = {seeded.id_at(level) for name, seeded in shaped.items()
                if _visible({_unique(archive_builder, x) for x in SHAPES[name]}, set(labels), constraint)}
    names = {seeded.id_at(level): name for name, seeded in shaped.items()}
    shown = sorted(names.get(i, i) for i in found)
    assert found == expected, (f"{level} {constraint} {list(wanted)}: found {shown}, "
                               f"expected {sorted(names[i] for i in expected)}")


@pytest.mark.clause("LBL-4")
def test_tools_find_default_constraint_is_all(admin: AdminClient, archive_builder: ArchiveBuilder,
                                              shaped: dict[str, Seeded]) -> None:
    labels = [_unique(archive_builder, "x"), _unique(archive_builder, "y")]
    found = set(admin.find("Study", {"PatientID": archive_builder.patient_id()}, labels, constraint=None))
    assert found == {shaped["xy"].ids.study}


@pytest.mark.clause("LBL-4")
def test_tools_find_checks_only_the_level_own_labels(admin: AdminClient,
                                                     archive_builder: ArchiveBuilder) -> None:
    seeded = archive_builder.upload(archive_builder.spec())
    label = _unique(archive_builder, "studyonly")
    admin.add_label("Study", seeded.ids.study, label)
    query = {"PatientID": archive_builder.patient_id()}
    assert admin.find("Study", query, [label]) == [seeded.ids.study]
    for level in ("Patient", "Series", "Instance"):
        assert admin.find(level, query, [label], "All") == [], f"a study label made the {level} match"


# The part of LBL-5 that is the same in both alternatives; marked LBL-4 because it shows no variant.
@pytest.mark.clause("LBL-4")
@pytest.mark.parametrize("constraint", ["All", "Any"])
def test_empty_labels_with_all_or_any_do_not_filter(admin: AdminClient, archive_builder: ArchiveBuilder,
                                                    shaped: dict[str, Seeded], constraint: str) -> None:
    found = set(admin.find("Study", {"PatientID": archive_builder.patient_id()}, [], constraint))
    assert found == {seeded.ids.study for seeded in shaped.values()}


@pytest.mark.clause("LBL-5")
def test_empty_labels_with_none(admin: AdminClient, archive_builder: ArchiveBuilder,
                                shaped: dict[str, Seeded], record_variant: RecordVariant) -> None:
    found = set(admin.find("Study", {"PatientID": archive_builder.patient_id()}, [], "None"))
    everything = {seeded.ids.study for seeded in shaped.values()}
    unlabelled = {shaped["none"].ids.study}
    if found == everything:
        record_variant("LBL-5", "none-empty=all")
    elif found == unlabelled:
        record_variant("LBL-5", "none-empty=unlabelled")
    else:
        names = {seeded.ids.study: name for name, seeded in shaped.items()}
        pytest.fail(f"Labels [] with None found {sorted(names[i] for i in found)}: neither every study "
                    "(none-empty=all) nor only the unlabelled one (none-empty=unlabelled)")


@pytest.mark.clause("LBL-6")
def test_deleting_a_study_deletes_its_labels_and_children(admin: AdminClient,
                                                         archive_builder: ArchiveBuilder) -> None:
    doomed = archive_builder.upload(archive_builder.spec(study=1))
    kept = archive_builder.upload(archive_builder.spec(study=2))
    label = _unique(archive_builder, "doomed")
    for level in ("Study", "Series", "Instance"):
        admin.add_label(level, doomed.id_at(level), label)
    admin.delete("Study", doomed.ids.study)
    for level in ("Study", "Series", "Instance"):
        assert admin.get(level, doomed.id_at(level)) is None, f"the deleted study's {level} is still there"
    assert admin.get("Study", kept.ids.study) is not None, "the patient's other study was deleted too"
    assert label not in admin.all_labels(), "/tools/labels still lists a label only the deleted study had"
    assert admin.find("Instance", {"PatientID": archive_builder.patient_id()}, [label]) == []
