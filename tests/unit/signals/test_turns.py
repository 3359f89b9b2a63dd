"""A walk there and back: only the longest stretch in one direction is scored."""

import numpy as np
import pytest
from synthetic_walker import frontal_walker, sagittal_walker

from posescore.config import GaitConfig, Settings, SignalConfig
from posescore.geometry import estimate_leg_length_px
from posescore.model_file import load_model
from posescore.score import score_pose
from posescore.signals import (
    FACING_AWAY,
    FACING_CAMERA,
    facing_per_frame,
    seen_xy,
    straight_walk_span,
)
from posescore.types import PoseSequence, VideoMeta

FPS = 30.0


def _facing(pose):
    xy = seen_xy(pose.landmarks, SignalConfig())
    return facing_per_frame(xy, estimate_leg_length_px(xy))


def _joined(*poses):
    """One sequence from several, each starting where the previous one ended."""
    landmarks = np.concatenate([p.landmarks for p in poses])
    t = np.arange(len(landmarks)) / FPS
    return PoseSequence(landmarks, t, FPS, 640, 480)


def _there_and_back(out_s=4.0, back_s=3.0):
    out, _ = sagittal_walker(duration_s=out_s, direction=1, near="left")
    back, _ = sagittal_walker(duration_s=back_s, direction=-1, near="right")
    return _joined(out, back)


@pytest.mark.parametrize(("direction", "label"), [(1, 1), (-1, -1)])
def test_side_view_frames_face_the_way_the_toes_point(direction, label):
    facing = _facing(sagittal_walker(duration_s=2.0, direction=direction)[0])
    assert np.mean(facing == label) > 0.9


@pytest.mark.parametrize(("towards", "label"), [(True, FACING_CAMERA), (False, FACING_AWAY)])
def test_frontal_frames_face_the_camera_or_away(towards, label):
    facing = _facing(frontal_walker(duration_s=2.0, facing_camera=towards)[0])
    assert np.mean(facing == label) > 0.9


def test_no_body_or_no_leg_length_faces_nowhere():
    assert not facing_per_frame(np.full((10, 33, 2), np.nan), float("nan")).any()
    pose, _ = sagittal_walker(duration_s=1.0)
    assert not facing_per_frame(pose.landmarks[:, :, :2], 0.0).any()


def test_the_longest_walk_of_a_there_and_back_is_chosen():
    facing = _facing(_there_and_back(4.0, 3.0))
    start, stop = straight_walk_span(facing, FPS)
    assert start == 0 and abs(stop - 4.0 * FPS) <= 0.5 * FPS
    start, stop = straight_walk_span(_facing(_there_and_back(2.0, 4.0)), FPS)
    assert abs(start - 2.0 * FPS) <= 0.5 * FPS and stop == 6.0 * FPS


def test_walking_towards_then_away_from_the_camera_is_a_turn():
    towards, _ = frontal_walker(duration_s=3.0, facing_camera=True)
    away, _ = frontal_walker(duration_s=4.0, facing_camera=False)
    start, stop = straight_walk_span(_facing(_joined(towards, away)), FPS)
    assert abs(start - 3.0 * FPS) <= 0.5 * FPS and stop == 7.0 * FPS


def test_one_direction_a_brief_turn_or_nothing_is_not_cut():
    assert straight_walk_span(_facing(sagittal_walker(duration_s=6.0)[0]), FPS) is None
    assert straight_walk_span(_facing(_there_and_back(5.0, 1.0)), FPS) is None
    assert straight_walk_span(np.zeros(300, dtype=int), FPS) is None
    assert straight_walk_span(np.zeros(0, dtype=int), FPS) is None
    assert straight_walk_span(np.ones(10, dtype=int), 0.0) is None
    # labels flickering frame by frame are outvoted, not taken for turns
    flicker = np.ones(300, dtype=int)
    flicker[::7] = -1
    assert straight_walk_span(flicker, FPS) is None


def test_score_pose_scores_the_longest_walk_and_says_so():
    pose = _there_and_back(5.0, 3.0)
    meta = VideoMeta("x.mp4", "0", FPS, pose.n_frames, 640, 480)
    model = load_model(None)
    result = score_pose(pose, meta, Settings(), model).to_dict()
    turned = [w["message"] for w in result["quality"]["warnings"] if w["code"] == "subject_turned"]
    assert turned and "0.0-" in turned[0]
    assert result["quality"]["scorable"], result["quality"]["warnings"]
    assert result["view"] == "sagittal_left"  # the outward walk, left side to the camera
    assert result["quality"]["pose_detected_fraction"] == 1.0  # of the frames scored
    assert result["gait"]["stride_time_s"] == pytest.approx(1.1, abs=0.1)

    whole = Settings(gait=GaitConfig(longest_straight_walk=False))
    kept = score_pose(pose, meta, whole, model).to_dict()
    assert "subject_turned" not in [w["code"] for w in kept["quality"]["warnings"]]
