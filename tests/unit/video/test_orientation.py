"""A person lying sideways or upside down in the picture is turned upright."""

import numpy as np
import pytest
from pose_support import FakeBackend, pose_settings, write_grey_video

from posescore.constants import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER
from posescore.pose import extract_pose_meta, upright_turn_deg

# torso direction in the picture (hip midpoint to shoulder midpoint, y down) -> turn that fixes it
TORSO_TURNS = {(0.0, -1.0): 0, (1.0, 0.0): 270, (0.0, 1.0): 180, (-1.0, 0.0): 90}


def _torsos(direction, n=40, jitter_deg=15.0, seed=0):
    """Landmarks (n, 33, 4) whose torso points along ``direction`` (+- jitter), 100 px long."""
    rng = np.random.default_rng(seed)
    angle = np.arctan2(direction[1], direction[0]) + np.radians(
        rng.uniform(-jitter_deg, jitter_deg, n)
    )
    lm = np.full((n, 33, 4), np.nan)
    hips = np.array([320.0, 240.0])
    for i, a in enumerate(angle):
        shoulders = hips + 100.0 * np.array([np.cos(a), np.sin(a)])
        across = 20.0 * np.array([-np.sin(a), np.cos(a)])
        lm[i, LEFT_HIP, :2], lm[i, RIGHT_HIP, :2] = hips + across, hips - across
        lm[i, LEFT_SHOULDER, :2] = shoulders + across
        lm[i, RIGHT_SHOULDER, :2] = shoulders - across
    return lm


@pytest.mark.parametrize(("direction", "turn"), list(TORSO_TURNS.items()))
def test_each_way_the_torso_points_gives_the_turn_that_stands_it_up(direction, turn):
    assert upright_turn_deg(_torsos(direction)) == turn


def test_undecided_pictures_are_left_alone():
    sideways = _torsos((1.0, 0.0))
    assert upright_turn_deg(sideways[:9]) == 0  # too few frames
    assert upright_turn_deg(np.full_like(sideways, np.nan)) == 0  # no body
    assert upright_turn_deg(np.zeros_like(sideways)) == 0  # degenerate torso
    assert upright_turn_deg(np.empty((0, 33, 4))) == 0
    half = np.concatenate([sideways[:20], _torsos((0.0, -1.0))[:20]])
    assert upright_turn_deg(half) == 0  # no agreement: keep the frames as they are
    gaps = sideways.copy()
    gaps[::2] = np.nan  # 20 frames left, all sideways
    assert upright_turn_deg(gaps) == 270


class LyingWhenLandscape(FakeBackend):
    """Sees a person with the head to the right in landscape frames, upright in portrait ones."""

    def process(self, frame_rgb):
        self.calls += 1
        h, w = frame_rgb.shape[:2]
        lm = np.full((33, 4), 0.5)
        lm[:, 3] = 0.9
        head = (0.7, 0.5) if w > h else (0.5, 0.3)
        feet = (0.3, 0.5) if w > h else (0.5, 0.7)
        lm[[LEFT_SHOULDER, RIGHT_SHOULDER], :2] = head
        lm[[LEFT_HIP, RIGHT_HIP], :2] = feet
        return lm


def test_a_sideways_video_is_turned_tracked_again_and_cached_turned(tmp_path):
    path = write_grey_video(tmp_path / "v.mp4", n=30, size=(96, 64))
    settings = pose_settings(tmp_path)
    backend = LyingWhenLandscape()
    pose, from_cache, meta = extract_pose_meta(path, settings, backend=backend)
    assert not from_cache and backend.calls == 60  # tracked as stored, then turned
    assert meta.turn_deg == 270 and (meta.width, meta.height) == (64, 96)
    assert (pose.width, pose.height) == (64, 96)
    assert upright_turn_deg(pose.landmarks) == 0
    turned = [w.message for w in meta.warnings if w.code == "picture_turned"]
    assert "frames turned 270 deg clockwise" in turned[0]

    again, from_cache, meta2 = extract_pose_meta(path, settings, backend=backend)
    assert from_cache and backend.calls == 60 and meta2 == meta
    np.testing.assert_array_equal(again.landmarks, pose.landmarks)

    off = pose_settings(tmp_path / "off", turn_upright=False)
    _, _, kept = extract_pose_meta(path, off, backend=LyingWhenLandscape())
    assert kept.turn_deg == 0 and (kept.width, kept.height) == (96, 64)


def test_an_upright_video_is_tracked_once(tmp_path):
    path = write_grey_video(tmp_path / "v.mp4", n=30, size=(64, 96))
    backend = LyingWhenLandscape()
    _, _, meta = extract_pose_meta(path, pose_settings(tmp_path), backend=backend)
    assert backend.calls == 30 and meta.turn_deg == 0
    assert "picture_turned" not in [w.code for w in meta.warnings]
