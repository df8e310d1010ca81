"""The answer judges can fail: leaks, missing matches, hangs and wrong statuses are all reported."""

from __future__ import annotations

from typing import Any, cast

from pydicom.dataset import Dataset

from conformance.admin import AdminClient
from conformance.answers import find_problems, leak_problems
from conformance.dimse import DimseResult, Response
from conformance.model import Archive, Level, ResourceKey, relabel, store
from conformance.model.expected import Tenant
from conformance.moves import MoveOutcome, expectations_for, move_problems

ALL_A = Tenant("ALL_A", ("a",), "All")
OPTIONS = ("none-empty=all",)


class FakeAdmin:
    """Ground truth for answers outside the example: one foreign study labelled ``a``, one not."""

    def find(self, level: str, query: dict[str, str], **_: Any) -> list[dict[str, Any]]:
        uid = next(iter(query.values()))
        truth: dict[str, list[dict[str, Any]]] = {"9.1": [{"Labels": ["a"]}], "9.2": [{"Labels": []}]}
        return truth.get(uid, [])


def _archive() -> Archive:
    a = Archive()
    for study in ("1.1", "1.2"):
        a = store(
            a,
            {
                "PatientID": "P",
                "StudyInstanceUID": study,
                "SeriesInstanceUID": study + ".1",
                "SOPInstanceUID": study + ".1.1",
            },
        )
    return relabel(a, ResourceKey(Level.STUDY, "1.1"), add=["a"])


def _answer(*uids: str, final: int | None = 0) -> DimseResult:
    responses = []
    for uid in uids:
        ds = Dataset()
        ds.StudyInstanceUID = uid
        responses.append(Response(0xFF00, ds))
    if final is not None:
        responses.append(Response(final))
    return DimseResult(associated=True, responses=responses, timed_out=final is None)


def _find(result: DimseResult, keys: dict[str, str] | None = None) -> list[str]:
    admin = cast(AdminClient, FakeAdmin())
    return find_problems(
        result, _archive(), ALL_A, Level.STUDY, keys or {"StudyInstanceUID": ""}, OPTIONS, admin
    )


def test_exact_answer_passes() -> None:
    assert _find(_answer("1.1")) == []


def test_hidden_study_is_a_leak() -> None:
    assert _find(_answer("1.1", "1.2")) == ["unexpected ['STUDY:1.2']"]
    admin = cast(AdminClient, FakeAdmin())
    assert leak_problems(_answer("1.2"), _archive(), ALL_A, Level.STUDY, OPTIONS, admin) != []
    assert leak_problems(_answer("1.1"), _archive(), ALL_A, Level.STUDY, OPTIONS, admin) == []


def test_missing_match_and_wrong_status() -> None:
    assert _find(_answer()) == ["missing ['STUDY:1.1']"]
    assert any("got" in p for p in _find(_answer("1.1", final=0xC000)))


def test_uid_wildcard_may_fail_but_not_hang() -> None:
    keys = {"StudyInstanceUID": "1.*"}
    assert _find(_answer(final=0xC000), keys) == []
    assert _find(_answer(), keys) == []
    assert any("ISO-2" in p for p in _find(_answer(final=None), keys))


def test_foreign_answers_are_judged_on_ground_truth() -> None:
    assert _find(_answer("1.1", "9.1")) == []
    assert _find(_answer("1.1", "9.2")) == ["STUDY 9.2 is not visible to ALL_A (labels [frozenset()])"]
    assert _find(_answer("1.1", "9.3")) == ["STUDY 9.3 answered but absent from the archive"]


def test_move_judge() -> None:
    a = _archive()
    exps = expectations_for(a, ALL_A, Level.STUDY, {"StudyInstanceUID": "1.1\\1.2"}, OPTIONS)
    ok = MoveOutcome(_answer(), frozenset({"1.1.1.1"}), ())
    assert move_problems(ok, exps) == []
    leak = MoveOutcome(_answer(), frozenset({"1.1.1.1", "1.2.1.1"}), ())
    assert move_problems(leak, exps) == ["unexpected ['1.2.1.1']"]
    hung = MoveOutcome(_answer(final=None), frozenset(), ())
    assert len(move_problems(hung, exps)) == 2  # no final status, and the visible study never arrived
