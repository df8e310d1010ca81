"""Hypothesis strategies: archives with labels at every level, and C-FIND / C-MOVE queries on them.

Strategy: examples are *symbolic*. Identifiers are templates holding ``{P}`` (a short token, fresh
for every example, that starts every PatientID and AccessionNumber) and ``{U}`` (a fresh UID root);
``render`` fills them in just before the example touches the target. So a shrunk or replayed
example never collides with another on a shared archive, and a failing example reads as a small
tree plus a few queries. Queries draw their keys from the archive itself -- exact UIDs of resources
that may or may not be visible, lists, wildcards, ranges, case changes, keys of other levels,
UID keys with ``*`` -- and are mostly scoped to the example's own patients by a ``{P}-*`` PatientID
(unscoped ones are checked against the admin API's ground truth by the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from conformance.model.tags import UNIQUE_KEYS, Level, answer_keys


def suite_settings() -> settings:
    """Settings for examples that talk to a target: the run's profile (quick/thorough) decides how many
    examples; these lift the deadline and the health checks a networked test always trips. Outside
    the ``thorough`` profile failures are not shrunk: against a target that hangs, every shrink
    step costs a full DIMSE timeout (the unshrunk example and its notes are still reported)."""
    phases = tuple(Phase)
    if getattr(settings, "_current_profile", None) != "thorough":
        phases = tuple(p for p in Phase if p is not Phase.shrink)
    return settings(
        deadline=None,
        phases=phases,
        print_blob=True,  # failures print @reproduce_failure(...) for an exact replay
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


PATIENT_NAMES = ("DOE^JOHN", "Doe^Jane", "SMITH^ANNA")
STUDY_DATES = ("20150101", "20200615", "20241231")
STUDY_DESCRIPTIONS = ("CHEST CT", "Brain MRI", "chest x-ray")
MODALITIES = ("CT", "MR", "OT")
SERIES_DESCRIPTIONS = ("AXIAL", "coronal", "Scout")
CASES = ("", "lower", "swapcase")


@dataclass(frozen=True)
class InstanceTemplate:
    """One instance: keyword -> value template (see ``render``)."""

    values: tuple[tuple[str, str], ...]

    def get(self, keyword: str) -> str:
        return dict(self.values)[keyword]


@dataclass(frozen=True)
class ArchiveSpec:
    instances: tuple[InstanceTemplate, ...]
    labels: tuple[tuple[Level, str, frozenset[str]], ...]  # (level, identifier template, labels)

    def uids(self, level: Level) -> list[str]:
        """Identifier templates of one level, in order, without duplicates."""
        seen: dict[str, None] = {}
        for inst in self.instances:
            seen.setdefault(inst.get(UNIQUE_KEYS[level]), None)
        return list(seen)


@dataclass(frozen=True)
class QueryKey:
    keyword: str
    template: str
    case: str = ""  # "", "lower" or "swapcase": applied after rendering (FIND-5 case-insensitivity)


@dataclass(frozen=True)
class QuerySpec:
    level: Level
    keys: tuple[QueryKey, ...]


def render(template: str, token: str, root: str, case: str = "") -> str:
    """Fill ``{P}`` and ``{U}`` in, then apply the case change."""
    value = template.replace("{P}", token).replace("{U}", root)
    if case == "lower":
        return value.lower()
    if case == "swapcase":
        return value.swapcase()
    return value


def render_identifier(query: QuerySpec, token: str, root: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in query.keys:
        out[key.keyword] = render(key.template, token, root, key.case)
    return out


@st.composite
def archives(draw: st.DrawFn, label_pool: Sequence[str], max_instances: int = 6) -> ArchiveSpec:
    """A small tree (1-2 patients, 1-2 studies, 1-2 series, 1-2 instances; at most ``max_instances``) with
    labels everywhere."""
    labels_of = st.frozensets(st.sampled_from(tuple(label_pool)), max_size=min(2, len(label_pool)))
    instances: list[InstanceTemplate] = []
    labels: list[tuple[Level, str, frozenset[str]]] = []
    for p in range(draw(st.integers(1, 2))):
        pid = f"{{P}}-P{p}"
        labels.append((Level.PATIENT, pid, draw(labels_of)))
        name = draw(st.sampled_from(PATIENT_NAMES))
        for s in range(draw(st.integers(1, 2))):
            study = f"{{U}}.{p}.{s}"
            labels.append((Level.STUDY, study, draw(labels_of)))
            date = draw(st.sampled_from(STUDY_DATES))
            description = draw(st.sampled_from(STUDY_DESCRIPTIONS))
            for r in range(draw(st.integers(1, 2))):
                series = f"{study}.{r}"
                labels.append((Level.SERIES, series, draw(labels_of)))
                modality = draw(st.sampled_from(MODALITIES))
                series_description = draw(st.sampled_from(SERIES_DESCRIPTIONS))
                for i in range(draw(st.integers(1, 2))):
                    if len(instances) >= max_instances:
                        break
                    sop = f"{series}.{i}"
                    labels.append((Level.INSTANCE, sop, draw(labels_of)))
                    values = (
                        ("PatientID", pid),
                        ("PatientName", name),
                        ("StudyInstanceUID", study),
                        ("AccessionNumber", f"{{P}}A{p}{s}"),
                        ("StudyDate", date),
                        ("StudyDescription", description),
                        ("SeriesInstanceUID", series),
                        ("Modality", modality),
                        ("SeriesDescription", series_description),
                        ("SeriesNumber", str(r + 1)),
                        ("SOPInstanceUID", sop),
                        ("InstanceNumber", str(i + 1)),
                    )
                    instances.append(InstanceTemplate(values))
    present = {inst.get(UNIQUE_KEYS[lvl]) for inst in instances for lvl in Level}
    return ArchiveSpec(tuple(instances), tuple(x for x in labels if x[1] in present))


LabelRule = Callable[[Level, str], frozenset[str]]


def fixed_archive(
    patients: int = 1,
    studies: int = 2,
    series: int = 2,
    instances: int = 1,
    labels: LabelRule | None = None,
) -> ArchiveSpec:
    """A deterministic archive of the same shape as ``archives`` draws, for example-based tests.

    Values cycle through the strategies' pools by position; ``labels(level, template)`` gives each
    resource's labels (default: none).
    """
    rule: LabelRule = labels or (lambda _level, _uid: frozenset())
    out: list[InstanceTemplate] = []
    for p in range(patients):
        for s in range(studies):
            for r in range(series):
                for i in range(instances):
                    study, ser = f"{{U}}.{p}.{s}", f"{{U}}.{p}.{s}.{r}"
                    out.append(
                        InstanceTemplate(
                            (
                                ("PatientID", f"{{P}}-P{p}"),
                                ("PatientName", PATIENT_NAMES[p % 3]),
                                ("StudyInstanceUID", study),
                                ("AccessionNumber", f"{{P}}A{p}{s}"),
                                ("StudyDate", STUDY_DATES[s % 3]),
                                ("StudyDescription", STUDY_DESCRIPTIONS[s % 3]),
                                ("SeriesInstanceUID", ser),
                                ("Modality", MODALITIES[r % 3]),
                                ("SeriesDescription", SERIES_DESCRIPTIONS[r % 3]),
                                ("SeriesNumber", str(r + 1)),
                                ("SOPInstanceUID", f"{ser}.{i}"),
                                ("InstanceNumber", str(i + 1)),
                            )
                        )
                    )
    spec = ArchiveSpec(tuple(out), ())
    return ArchiveSpec(spec.instances, tuple((lvl, u, rule(lvl, u)) for lvl in Level for u in spec.uids(lvl)))


def split_labels(show: frozenset[str], hide: frozenset[str] | None) -> LabelRule:
    """Resources whose identifier ends in ``.1`` get ``hide`` (when there is one), the others ``show``:
    half the studies, series and (with 2 per series) instances hidden, every patient shown."""

    def rule(_level: Level, uid: str) -> frozenset[str]:
        return hide if hide is not None and uid.endswith(".1") else show

    return rule


def _keyed(keyword: str) -> Callable[[str], QueryKey]:
    def make(value: str) -> QueryKey:
        return QueryKey(keyword, value)

    return make


def _uid_filters(spec: ArchiveSpec, level: Level, uid_wildcards: bool) -> st.SearchStrategy[QueryKey]:
    """Keys on the level's own identifier: exact, list, case change, wrong level, UID wildcard."""
    kw = UNIQUE_KEYS[level]
    own = spec.uids(level)
    others = [u for lvl in Level if lvl is not level for u in spec.uids(lvl)]
    options: list[st.SearchStrategy[QueryKey]] = [
        st.builds(QueryKey, st.just(kw), st.sampled_from(own), st.sampled_from(CASES)),
        st.lists(st.sampled_from(own), min_size=2, max_size=3).map(lambda xs: QueryKey(kw, "\\".join(xs))),
        st.sampled_from(others).map(lambda u: QueryKey(kw, u)),
    ]
    if level is Level.PATIENT:
        options.append(st.sampled_from(("{P}-P*", "{P}-P?", "*-P1", "{P}-p*")).map(lambda t: QueryKey(kw, t)))
    elif uid_wildcards:
        options.append(st.sampled_from(own).map(lambda u: QueryKey(kw, u[:-1] + "*")))
    return st.one_of(options)


def _other_filters(spec: ArchiveSpec, level: Level) -> st.SearchStrategy[QueryKey]:
    """Keys on other attributes: ancestors' identifiers, names, dates, descriptions, children's keys."""
    options: list[st.SearchStrategy[QueryKey]] = [
        st.sampled_from(("doe*", "*ANNA", "D?E^*", "smith^anna", "Doe^Jane")).map(
            lambda v: QueryKey("PatientName", v)
        ),
    ]
    for upper in Level:
        if upper < level:
            options.append(
                st.builds(
                    QueryKey,
                    st.just(UNIQUE_KEYS[upper]),
                    st.sampled_from(spec.uids(upper)),
                    st.sampled_from(CASES),
                )
            )
    if level >= Level.STUDY:
        options += [
            st.sampled_from(("20150101-20200615", "20200101-", "-20200615", "20241231")).map(
                lambda v: QueryKey("StudyDate", v)
            ),
            st.sampled_from(("chest*", "*MRI", "Brain MRI", "CHEST CT\\brain mri")).map(
                lambda v: QueryKey("StudyDescription", v)
            ),
            st.sampled_from(("{P}A*", "{P}A0?", "{P}a00", "{P}A00\\{P}A11")).map(
                lambda v: QueryKey("AccessionNumber", v)
            ),
        ]
    if level >= Level.SERIES:
        options.append(st.sampled_from(("ct", "MR", "C?", "CT\\OT")).map(lambda v: QueryKey("Modality", v)))
    return st.one_of(options)


def lower_level_keys(spec: ArchiveSpec, level: Level) -> st.SearchStrategy[QueryKey]:
    """Keys of levels below ``level`` (and ModalitiesInStudy): the spec bounds the answer only by
    visibility (FIND-1); Orthanc 1.12.7 leaves such a C-FIND without a final status (ISO-2)."""
    options: list[st.SearchStrategy[QueryKey]] = [
        st.sampled_from(spec.uids(lower)).map(_keyed(UNIQUE_KEYS[lower])) for lower in Level if lower > level
    ]
    if level is Level.STUDY:
        options.append(st.sampled_from(("CT", "MR")).map(_keyed("ModalitiesInStudy")))
    return st.one_of(options)


@st.composite
def queries(
    draw: st.DrawFn, spec: ArchiveSpec, level: Level | None = None, uid_wildcards: bool = False
) -> QuerySpec:
    """A C-FIND identifier on ``spec``: the level's identifier, 0-2 filters, a few return keys."""
    lvl = draw(st.sampled_from(tuple(Level))) if level is None else level
    keys: dict[str, QueryKey] = {UNIQUE_KEYS[lvl]: QueryKey(UNIQUE_KEYS[lvl], "")}
    filters = draw(
        st.lists(
            st.one_of(_uid_filters(spec, lvl, uid_wildcards), _other_filters(spec, lvl)),
            max_size=2,
            unique_by=lambda k: k.keyword,
        )
    )
    for key in filters:
        keys[key.keyword] = key
    if "PatientID" not in keys and draw(st.integers(0, 4)) > 0:
        keys["PatientID"] = QueryKey("PatientID", "{P}-*")  # scoped to this example (most of the time)
    for keyword in draw(st.lists(st.sampled_from(sorted(answer_keys(lvl))), max_size=3, unique=True)):
        keys.setdefault(keyword, QueryKey(keyword, ""))
    return QuerySpec(lvl, tuple(keys.values()))


@st.composite
def move_queries(draw: st.DrawFn, spec: ArchiveSpec) -> QuerySpec:
    """A C-MOVE identifier (MOVE-3) at one level, keyed by that level's move key: exact (any case),
    a list, or a PatientID / AccessionNumber wildcard."""
    lvl = draw(st.sampled_from(tuple(Level)))
    kw = UNIQUE_KEYS[lvl]
    own = spec.uids(lvl)
    key = draw(
        st.one_of(
            st.builds(QueryKey, st.just(kw), st.sampled_from(own), st.sampled_from(CASES)),
            st.lists(st.sampled_from(own), min_size=2, max_size=3).map(
                lambda xs: QueryKey(kw, "\\".join(xs))
            ),
        )
    )
    keys = [key]
    if lvl is Level.PATIENT and draw(st.booleans()):
        keys = [QueryKey(kw, draw(st.sampled_from(("{P}-P*", "{P}-p?"))))]
    if lvl is Level.STUDY and draw(st.booleans()):
        keys = [QueryKey("AccessionNumber", draw(st.sampled_from(("{P}A*", "{P}a00", "{P}A00\\{P}A01"))))]
    return QuerySpec(lvl, tuple(keys))
