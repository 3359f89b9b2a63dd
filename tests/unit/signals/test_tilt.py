"""A tilted camera is levelled from the trunk before measuring (signals.camera_roll_deg)."""

import dataclasses

import numpy as np
import pytest
from synthetic_walker import HEIGHT, WIDTH, frontal_walker, sagittal_walker

from posescore.config import GaitConfig, Settings
from posescore.score import measure_pose
from posescore.signals import camera_roll_deg, level_landmarks


def _tilted(pose, clockwise_deg):
    """The pose as a camera rolled ``clockwise_deg`` would film it."""
    lm = level_landmarks(pose.landmarks, -clockwise_deg, pose.width, pose.height)
    return dataclasses.replace(pose, landmarks=lm)


def test_levelling_undoes_a_tilt_and_keeps_depth_and_visibility():
    pose, _ = sagittal_walker(duration_s=1.0)
    tilted = _tilted(pose, 15.0).landmarks
    assert not np.allclose(tilted[..., :2], pose.landmarks[..., :2])
    back = level_landmarks(tilted, 15.0, WIDTH, HEIGHT)
    np.testing.assert_allclose(back, pose.landmarks, atol=1e-9)


@pytest.mark.parametrize("maker", [sagittal_walker, frontal_walker])
@pytest.mark.parametrize("deg", [-20.0, 0.0, 12.0])
def test_roll_is_read_from_the_trunk(maker, deg):
    pose, _ = maker(duration_s=2.0)
    xy = _tilted(pose, deg).landmarks[..., :2]
    assert camera_roll_deg(xy) == pytest.approx(deg, abs=0.5)


def test_no_trunk_no_roll():
    assert np.isnan(camera_roll_deg(np.full((20, 33, 2), np.nan)))


def _foot_floor(measured):
    return [measured.features[f"{s}_foot_floor_angle_hs_deg"] for s in ("left", "right")]


def test_a_tilted_walk_is_measured_as_the_level_one():
    pose, _ = sagittal_walker()
    level = measure_pose(pose, Settings())
    assert level.camera_roll_deg == 0.0
    tilted = _tilted(pose, 15.0)
    fixed = measure_pose(tilted, Settings())
    assert fixed.camera_roll_deg == pytest.approx(15.0, abs=0.5)
    np.testing.assert_allclose(_foot_floor(fixed), _foot_floor(level), atol=1.0)
    assert fixed.gait["cadence_steps_per_min"] == pytest.approx(
        level.gait["cadence_steps_per_min"], rel=0.02
    )
    off = Settings(gait=GaitConfig(level_tilted_camera=False))
    raw = measure_pose(tilted, off)
    assert raw.camera_roll_deg == 0.0
    assert max(abs(a - b) for a, b in zip(_foot_floor(raw), _foot_floor(level))) > 5.0


def test_a_lean_within_the_walking_range_is_left_alone():
    pose, _ = sagittal_walker()
    assert measure_pose(_tilted(pose, 5.0), Settings()).camera_roll_deg == 0.0
