"""CFG-6 level names, drawn by hypothesis: any casing of a level name, its plural or ``Image``
is accepted; any other word makes the implementation refuse to start.

Each example starts the implementation on a hand-written configuration (``startup.py``), so the
quick profile keeps the number of examples small.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.cfg.startup import STARTABLE_IMPLS, Launch, launch_for, try_start, valid_config
from conformance.targets import TargetPlan, normalize_level

NAMES = ("Patient", "Patients", "Study", "Studies", "Series", "Instance", "Instances", "Image", "Images")


@st.composite
def spellings(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    upper = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if up else c.lower() for c, up in zip(name, upper, strict=True))


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
unknown_names = st.text(LETTERS, min_size=1, max_size=12).filter(lambda word: normalize_level(word) is None)
#: Every example starts a server: half the profile's examples (5 in "quick", 100 in "thorough").
STARTS = settings(max_examples=max(3, settings().max_examples // 2))


@pytest.fixture(scope="module")
def launch(target_plan: TargetPlan, tmp_path_factory: pytest.TempPathFactory) -> Launch:
    if target_plan.kind != "managed" or target_plan.impl not in STARTABLE_IMPLS:
        pytest.skip(f"starting with a hand-written configuration needs a managed {'/'.join(STARTABLE_IMPLS)} "
                    f"target (this run: {target_plan.impl})")
    return launch_for(target_plan.impl, Path(tmp_path_factory.mktemp("cfg-levels")))


@pytest.mark.clause("CFG-6")
@STARTS
@given(levels=st.lists(spellings(), min_size=1, max_size=4))
def test_any_casing_plural_or_image_is_accepted(launch: Launch, tmp_path_factory: pytest.TempPathFactory,
                                                levels: list[str]) -> None:
    workdir = Path(tmp_path_factory.mktemp("levels-ok"))
    config = valid_config(launch, workdir)
    config["MultitenantDicom"]["Servers"][0]["LabelsStoreLevels"] = levels
    outcome = try_start(launch, config, workdir)
    assert outcome.started, f"LabelsStoreLevels {levels!r} was refused: {outcome.describe()}"


@pytest.mark.clause("CFG-6")
@STARTS
@given(word=unknown_names)
def test_unknown_level_name_is_refused(launch: Launch, tmp_path_factory: pytest.TempPathFactory,
                                       word: str) -> None:
    workdir = Path(tmp_path_factory.mktemp("levels-bad"))
    config = valid_config(launch, workdir)
    config["MultitenantDicom"]["Servers"][0]["LabelsStoreLevels"] = ["Study", word]
    outcome = try_start(launch, config, workdir)
    assert not outcome.started and outcome.exit_code not in (None, 0), (
        f"LabelsStoreLevels ['Study', {word!r}] was not refused: {outcome.describe()}")
