"""A visit: clips of one session scored as one (no MediaPipe: scores are given)."""

from pathlib import Path

import pytest
from contract_support import assert_matches_schema, clip_score

from posescore.config import Settings
from posescore.errors import PosescoreError
from posescore.visit import ScoredClip, VisitClip, build_visit, read_visit, score_clips


def _clip(name, result, task="walk_forward"):
    return ScoredClip(VisitClip(Path(name), task), result)


def test_the_near_leg_of_a_side_view_outweighs_the_far_leg_of_the_other():
    scored = [
        _clip("left_side.mp4", clip_score("sagittal_left", (3.0, [2.4, 3.6]), (0.1, [0.0, 3.0]))),
        _clip("right_side.mp4", clip_score("sagittal_right", (0.3, [0.0, 3.0]), (0.1, [0.0, 0.7]))),
        _clip("front.mp4", clip_score("frontal", (2.0, [0.8, 3.2]), (0.2, [0.0, 1.2]))),
    ]
    visit = build_visit(scored, Settings())
    left, right = visit.legs["left"], visit.legs["right"]
    weights = {c.video: c.weight for c in left.by_task["walk_forward"].clips}
    assert weights["left_side.mp4"] > weights["front.mp4"] > weights["right_side.mp4"]
    assert 2.3 < left.severity < 3.0
    assert left.severity_interval[0] < left.severity < left.severity_interval[1]
    assert right.severity < 0.3
    assert visit.affected_side == "left"
    assert visit.summary[0].startswith(f"Left leg: severity {left.severity:.1f} of 4 (90 % ")
    assert "not clinically validated" in visit.summary[-1]
    assert left.provoking_factor == 1 and left.leg_item == pytest.approx(left.severity)
    assert_matches_schema("visit", visit.to_json())


def test_a_far_leg_is_scored_from_the_frontal_view_and_the_provenance_says_so():
    # left leg severity 3: the only side view films the right side, so the left leg is its far
    # leg, read near 0 with the far leg's interval (crosscheck: upper bound at least 3);
    # the frontal view sees it, with a frontal view's wide interval
    far = (0.2, [0.0, 3.0])
    front = (2.8, [0.47, 4.0])
    scored = [_clip("right_side.mp4", clip_score("sagittal_right", far, (0.1, [0.0, 1.55]))),
              _clip("front.mp4", clip_score("frontal", front, (0.2, [0.0, 2.16])))]
    visit = build_visit(scored, Settings())
    left = visit.legs["left"]
    contributions = {c.video: c for c in left.by_task["walk_forward"].clips}
    assert left.severity == pytest.approx(front[0])
    assert contributions["front.mp4"].view == "frontal"
    assert contributions["front.mp4"].weight == pytest.approx(1.0)
    assert contributions["right_side.mp4"].view == "sagittal_right"
    assert contributions["right_side.mp4"].weight == 0.0
    assert contributions["right_side.mp4"].severity == far[0]  # what it read is still shown
    assert visit.affected_side == "left"
    assert "far leg" in visit.fusion.method
    right = {c.video: c.weight for c in visit.legs["right"].by_task["walk_forward"].clips}
    assert right["right_side.mp4"] > right["front.mp4"] > 0  # the near leg and the front


def test_the_summary_names_a_clip_filmed_from_a_view_the_model_never_saw():
    from posescore.contract import Notice, NoticeCode
    from posescore.crosscheck import untrained_view_notice

    back = clip_score("posterior", (1.5, [0.0, 3.5]), (0.4, [0.0, 2.4]))
    notice = untrained_view_notice({"sagittal_left", "frontal"}, "posterior")
    back.quality.warnings.append(notice)
    side = clip_score("sagittal_left", (2.0, [1.4, 2.6]), (0.2, [0.0, 2.7]))
    visit = build_visit([_clip("left.mp4", side), _clip("back.mp4", back)], Settings())
    said = [s for s in visit.summary if "not trained on" in s]
    assert said == [visit.summary[-2]] and "back.mp4 (posterior)" in said[0]
    assert "left.mp4" not in said[0]
    assert "not clinically validated" in visit.summary[-1]  # the model's standing stays last
    assert isinstance(notice, Notice) and notice.code == NoticeCode.VIEW_NOT_IN_TRAINING
    plain = build_visit([_clip("left.mp4", side)], Settings())
    assert not any("not trained on" in s for s in plain.summary)


def test_a_leg_seen_only_as_the_far_leg_is_scored_from_it():
    far = (0.4, [0.0, 3.0])
    visit = build_visit([_clip("right_side.mp4", clip_score("sagittal_right", far,
                                                            (0.1, [0.0, 1.55])))], Settings())
    left = visit.legs["left"]
    assert left.judged and left.severity == pytest.approx(far[0])
    assert left.severity_interval == pytest.approx(far[1])
    assert left.by_task["walk_forward"].clips[0].weight == pytest.approx(1.0)


def test_a_leg_no_clip_could_score_has_no_number():
    scored = [_clip("a.mp4", clip_score("frontal", (None, None), (0.5, [0.0, 1.5]))),
              _clip("b.mp4", clip_score("frontal", (2.0, [1.0, 3.0]), (0.5, [0.0, 1.5]), False)),
              ScoredClip(VisitClip(Path("c.mp4")), None, "video file not found: c.mp4")]
    visit = build_visit(scored, Settings())
    left = visit.legs["left"]
    assert left.severity is None and not left.judged and "no clip" in left.reason
    assert visit.legs["right"].severity == pytest.approx(0.5)
    assert [c.scorable for c in visit.clips] == [True, False, False]
    assert visit.clips[2].error == "video file not found: c.mp4"
    assert_matches_schema("visit", visit.to_json())


def test_the_worst_task_gives_the_visit_severity():
    scored = [_clip("fwd.mp4", clip_score("frontal", (2.5, [1.5, 3.5]), (0.0, [0.0, 1.0]))),
              _clip("back.mp4", clip_score("frontal", (0.2, [0.0, 1.2]), (0.0, [0.0, 1.0])),
                    task="walk_backward")]
    left = build_visit(scored, Settings()).legs["left"]
    assert left.severity_task == "walk_forward"
    assert left.provoking_tasks == ["walk_forward"]
    assert set(left.by_task) == {"walk_forward", "walk_backward"}


def test_a_failing_clip_is_recorded_and_the_visit_goes_on():
    seen = {}

    def score(video, settings, task):
        if video.name == "broken.mp4":
            raise PosescoreError("broken.mp4 is not a video")
        seen[video.name] = settings.signal.view
        return clip_score("posterior", (1.0, [0.0, 2.0]), (0.0, [0.0, 1.0]))

    clips = [VisitClip(Path("broken.mp4")), VisitClip(Path("back.mp4"), view="posterior"),
             VisitClip(Path("any.mp4"))]
    scored = score_clips(clips, Settings(), score)
    assert scored[0].error == "broken.mp4 is not a video" and scored[0].result is None
    assert seen == {"back.mp4": "posterior", "any.mp4": None}


def test_manifest_and_folder(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"")
    manifest = tmp_path / "visit.csv"
    manifest.write_text("video,task,view\na.mp4,walk_backward,posterior\n/abs/b.mp4,,\n")
    clips = read_visit(manifest)
    assert clips == [VisitClip(tmp_path / "a.mp4", "walk_backward", "posterior"),
                     VisitClip(Path("/abs/b.mp4"), "walk_forward", None)]
    assert read_visit(tmp_path) == [VisitClip(tmp_path / "a.mp4")]


@pytest.mark.parametrize("text, message", [
    ("video,view\na.mp4,behind\n", "visit.csv, line 2: unknown view 'behind'"),
    ("video,task\na.mp4,dance\n", "visit.csv, line 2: unknown task 'dance'"),
    ("clip\na.mp4\n", r"visit.csv: missing column\(s\) video"),
    ("video,task\n,walk_forward\n", "visit.csv, line 2: empty video"),
    ("video,task\n", "visit.csv lists no rows"),
])
def test_bad_manifests_name_the_problem(tmp_path, text, message):
    manifest = tmp_path / "visit.csv"
    manifest.write_text(text)
    with pytest.raises(PosescoreError, match=message):
        read_visit(manifest)


def test_a_missing_visit_is_named(tmp_path):
    with pytest.raises(PosescoreError, match="visit not found: nowhere"):
        read_visit(tmp_path / "nowhere")
