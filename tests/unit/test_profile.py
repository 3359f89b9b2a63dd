"""Task-specificity: provoking factor and leg item from scored task videos (no video)."""

import pytest
from contract_support import score_dict

from posescore.cli import main
from posescore.contract import Score
from posescore.contract.score import LegResult
from posescore.errors import PosescoreError
from posescore.profile import (
    posture_in_task,
    profile_session,
    provoking_factor,
    read_manifest,
)


def _leg(present, sev, value=None):
    return {"severity": sev, "phenomenology": {"pattern": {"value": value, "present": present}}}


def _result(left_present, right_present=False, left_sev=2.5, right_sev=0.1, path="v.mp4"):
    legs = {"left": _leg(left_present, left_sev, 1.0 if left_present else 0.0),
            "right": _leg(right_present, right_sev, 1.0 if right_present else 0.0)}
    return Score.model_validate(score_dict(video={"path": path}, legs=legs))


@pytest.mark.parametrize(
    ("posture", "expected"),
    [
        ({"walk_forward": True, "walk_backward": False}, 1),
        ({"walk_forward": True, "walk_backward": True}, 2),
        ({"walk_forward": True, "walk_backward": True, "run": True}, 2),
        ({"walk_forward": False, "walk_backward": False}, 0),
        ({"walk_forward": True, "stand": True}, 4),
        ({"walk_forward": None}, None),
        ({}, None),
        ({"walk_forward": True, "walk_backward": None}, 1),
    ],
)
def test_provoking_factor(posture, expected):
    assert provoking_factor(posture) == expected


def test_intermittent_rest_is_3():
    assert provoking_factor({"stand": True}, rest_fraction=0.4) == 3
    assert provoking_factor({"stand": True}, rest_fraction=0.9) == 4


def test_posture_in_task_falls_back_to_severity():
    def leg(present, sev):
        left = score_dict(legs={"left": _leg(present, sev)})["legs"]["left"]
        return LegResult.model_validate(left)

    assert posture_in_task(leg(None, 2), 0.5)
    assert not posture_in_task(leg(None, 0.1), 0.5)
    assert posture_in_task(leg(None, None), 0.5) is None
    assert posture_in_task(leg(False, 2), 0.5) is False


def test_task_specific_vs_generalised_session():
    specific = profile_session(
        [("walk_forward", _result(True)), ("walk_backward", _result(False, left_sev=0.2))]
    )
    left = specific["legs"]["left"]
    assert left["provoking_factor"] == 1 and left["provoking_tasks"] == ["walk_forward"]
    assert left["severity"] == 2.5 and left["leg_item"] == pytest.approx(2.5)
    assert specific["legs"]["right"]["provoking_factor"] == 0
    assert specific["legs"]["right"]["leg_item"] == 0
    many = profile_session([("walk_forward", _result(True)), ("walk_backward", _result(True))])
    assert many["legs"]["left"]["provoking_factor"] == 2
    assert many["legs"]["left"]["leg_item"] == pytest.approx(5.0)


def test_unscored_severity_gives_no_leg_item():
    r = _result(True, left_sev=None)
    out = profile_session([("walk_forward", r)])
    assert out["legs"]["left"]["provoking_factor"] == 1
    assert out["legs"]["left"]["leg_item"] is None


def test_unknown_task_rejected():
    with pytest.raises(PosescoreError):
        profile_session([("dance", _result(True))])


def test_manifest(tmp_path):
    m = tmp_path / "session.csv"
    m.write_text("video,task\nfwd.mp4,walk_forward\n/abs/back.mp4,walk_backward\n")
    rows = read_manifest(m)
    assert rows[0] == ("walk_forward", tmp_path / "fwd.mp4")
    assert str(rows[1][1]) == "/abs/back.mp4"
    bad = tmp_path / "bad.csv"
    bad.write_text("file,task\nx.mp4,walk_forward\n")
    with pytest.raises(PosescoreError):
        read_manifest(bad)
    bad.write_text("video,task\nx.mp4,moonwalk\n")
    with pytest.raises(PosescoreError):
        read_manifest(bad)
    with pytest.raises(PosescoreError):
        read_manifest(tmp_path / "missing.csv")


def test_cli_profile_argument_errors(capsys):
    assert main(["profile", "a.mp4", "b.mp4", "--tasks", "walk_forward"]) == 1
    assert "one task per video" in capsys.readouterr().err
    assert main(["profile"]) == 1
