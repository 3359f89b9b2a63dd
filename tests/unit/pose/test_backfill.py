"""Gaps without a body tracked again backwards (pose.backfill_gaps)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pose_support import pose_settings

from posescore.constants import LEFT_ANKLE, LEFT_HIP, N_LANDMARKS, RIGHT_ANKLE, RIGHT_HIP
from posescore.pose import backfill_gaps, extract_pose, gaps_to_backfill, same_person

LEVEL_0, LEVEL_STEP = 16, 8
"""Grey levels of the test video: frame i is grey LEVEL_0 + i * LEVEL_STEP."""


def body_at(i: int, dx: float = 0.0) -> np.ndarray:
    """Normalised (33, 4) landmarks of frame ``i``: hips at y 0.5, ankles at 0.9, x drifting."""
    lm = np.full((N_LANDMARKS, 4), 0.5)
    lm[:, 0] = 0.3 + 0.01 * i + dx
    lm[[LEFT_ANKLE, RIGHT_ANKLE], 1] = 0.9
    lm[:, 3] = 0.9
    return lm


class TrackerOnlyNear:
    """A MediaPipe stand-in whose detector finds the body only from frame ``detect_from`` on
    (a walker still far away before), while its tracker, once started, follows it anywhere.
    The frame index is read from the grey level. ``dx`` shifts the body after ``reset``
    (another person)."""

    name = "tracker-only-near"

    def __init__(self, detect_from: int, dx_after_reset: float = 0.0) -> None:
        self.detect_from, self.dx_after_reset = detect_from, dx_after_reset
        self.tracking, self.dx, self.resets = False, 0.0, 0

    def process(self, frame_rgb: np.ndarray):
        i = int(round((float(frame_rgb.mean()) - LEVEL_0) / LEVEL_STEP))
        if not self.tracking and i < self.detect_from:
            return None
        self.tracking = True
        return body_at(i, self.dx)

    def reset(self) -> None:
        self.tracking, self.dx = False, self.dx_after_reset
        self.resets += 1

    def close(self) -> None:
        pass


def graded_video(path, n=30, size=(96, 64)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    for i in range(n):
        writer.write(np.full((size[1], size[0], 3), LEVEL_0 + i * LEVEL_STEP, np.uint8))
    writer.release()
    return path


def test_gaps_to_backfill_keeps_runs_ended_by_a_body():
    found = np.array([0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
    # a one-frame gap is too short; the run at the end has no body after it
    assert gaps_to_backfill(found, 2, 100) == [(0, 3), (7, 10)]
    assert gaps_to_backfill(found, 1, 100) == [(0, 3), (5, 6), (7, 10)]
    assert gaps_to_backfill(found, 2, 2) == [(1, 3), (8, 10)]  # the last 2 frames of each
    assert gaps_to_backfill(np.ones(5, bool), 1, 9) == []
    assert gaps_to_backfill(np.zeros(5, bool), 1, 9) == []  # nobody at all: nothing to follow


def test_same_person_by_leg_landmarks():
    a = np.stack([body_at(0) for _ in range(3)]) * [200, 100, 1, 1]  # leg 40 px
    assert same_person(a, a)
    assert same_person(a + [5, 0, 0, 0], a)  # 5 px = 0.125 leg lengths
    assert not same_person(a + [20, 0, 0, 0], a)  # 0.5 leg lengths
    assert not same_person(np.full_like(a, np.nan), a)
    assert not same_person(a, np.full_like(a, np.nan))
    a[:, [LEFT_HIP, RIGHT_HIP]] = a[:, [LEFT_ANKLE, RIGHT_ANKLE]]  # no leg length
    assert not same_person(a, a)


def _grey(i):
    return np.full((8, 8, 3), LEVEL_0 + i * LEVEL_STEP, np.uint8)


def _frames(n):
    """Stand-in for read_frames: RGB frames whose grey level gives their index."""
    return lambda first, last: [(i, i / 30.0, _grey(i)) for i in range(first, last + 1)]


def _forward(backend, n):
    rows = [backend.process(_grey(i)) for i in range(n)]
    return np.stack([np.full((N_LANDMARKS, 4), np.nan) if r is None else r * [200, 100, 200, 1]
                     for r in rows])


def test_backfill_tracks_the_leading_gap_backwards_into_the_right_rows():
    backend = TrackerOnlyNear(detect_from=20)
    forward = _forward(backend, 30)
    assert np.isnan(forward[:20, 0, 0]).all() and np.isfinite(forward[20:, 0, 0]).all()
    times = np.arange(30) / 30.0
    filled, n = backfill_gaps(forward, times, _frames(30), backend, 200, 100, 5, 300)
    assert n == 20 and backend.resets == 1
    expected = np.stack([body_at(i) * [200, 100, 200, 1] for i in range(30)])
    np.testing.assert_allclose(filled, expected)  # each frame's own body, in its own row
    assert np.isnan(forward[:20]).all()  # the input is not changed


def test_backfill_keeps_to_the_last_frames_of_a_long_gap():
    backend = TrackerOnlyNear(detect_from=20)
    forward = _forward(backend, 30)
    filled, n = backfill_gaps(forward, np.arange(30) / 30.0, _frames(30), backend, 200, 100,
                              5, 8)
    assert n == 8
    assert np.isnan(filled[:12, 0, 0]).all() and np.isfinite(filled[12:, 0, 0]).all()


def test_backfill_refuses_a_backward_track_of_someone_else():
    backend = TrackerOnlyNear(detect_from=20, dx_after_reset=0.3)  # 60 px = 1.5 leg lengths
    forward = _forward(backend, 30)
    filled, n = backfill_gaps(forward, np.arange(30) / 30.0, _frames(30), backend, 200, 100,
                              5, 300)
    assert n == 0
    np.testing.assert_array_equal(filled, forward)


def test_extract_pose_backfills_and_records_it(tmp_path):
    video = graded_video(tmp_path / "approach.mp4")
    on = pose_settings(tmp_path)
    assert on.pose.backfill_min_gap_s is not None  # on by default
    pose, _ = extract_pose(video, on, backend=TrackerOnlyNear(detect_from=20))
    assert np.isfinite(pose.landmarks[:, LEFT_HIP, 0]).all()
    assert pose.subject["frames_tracked_backwards"] == 20
    # frame i's body in row i: x drifts 0.01 frame widths per frame
    np.testing.assert_allclose(np.diff(pose.landmarks[:, LEFT_HIP, 0]), 0.01 * 96, atol=1e-6)

    off = pose_settings(tmp_path, backfill_min_gap_s=None)
    pose_off, from_cache = extract_pose(video, off, backend=TrackerOnlyNear(detect_from=20))
    assert not from_cache  # another cache key
    assert np.isnan(pose_off.landmarks[:20, LEFT_HIP, 0]).all()
    assert "frames_tracked_backwards" not in pose_off.subject


@pytest.mark.slow
def test_walker_approaching_from_afar_is_found_in_every_frame(tmp_path):
    """Through MediaPipe: a phantom walking towards a camera 3 m away from 7 m out."""
    from posescore.phantom import PhantomParams, render_phantom
    from posescore.phantom.variation import PhantomScene

    params = PhantomParams(view="frontal", walk="towards", seed=2, duration_s=6, width=1280,
                           height=720, scene=PhantomScene(camera_distance_m=3.0))
    truth = render_phantom(params, tmp_path / "towards.mp4")
    found = {}
    for label, gap_s in (("off", None), ("on", 0.3)):
        settings = pose_settings(tmp_path, backfill_min_gap_s=gap_s)
        pose, _ = extract_pose(tmp_path / "towards.mp4", settings)
        found[label] = np.isfinite(pose.landmarks[:, LEFT_ANKLE, 0])
        lm = pose.landmarks
    assert found["off"].mean() < 0.75  # the far walker is missed at first
    assert found["on"].mean() > 0.95
    ankle = np.asarray(truth["joints_px"]["left"]["ankle"])
    hip = np.asarray(truth["joints_px"]["left"]["hip"])
    early = np.flatnonzero(found["on"] & ~found["off"])
    err = np.linalg.norm(lm[early, LEFT_ANKLE, :2] - ankle[early], axis=1)
    leg = np.linalg.norm(hip[early] - ankle[early], axis=1)
    assert np.median(err / leg) < 0.1


class MissesUntilReset(TrackerOnlyNear):
    """Finds no body in frames ``hidden`` until its first reset, then in every frame."""

    def __init__(self, hidden: set[int]) -> None:
        super().__init__(detect_from=0)
        self.hidden = hidden

    def process(self, frame_rgb: np.ndarray):
        i = int(round((float(frame_rgb.mean()) - LEVEL_0) / LEVEL_STEP))
        return None if self.resets == 0 and i in self.hidden else body_at(i)


def test_extract_pose_backfills_every_gap_from_one_decoding(tmp_path):
    video = graded_video(tmp_path / "two_gaps.mp4")
    hidden = set(range(0, 10)) | set(range(15, 25))  # 0.33 s each: longer than 0.3 s
    backend = MissesUntilReset(hidden)
    pose, _ = extract_pose(video, pose_settings(tmp_path), backend=backend)
    assert pose.subject["frames_tracked_backwards"] == 20 and backend.resets == 2
    np.testing.assert_allclose(np.diff(pose.landmarks[:, LEFT_HIP, 0]), 0.01 * 96, atol=1e-6)


class JumpsAt(TrackerOnlyNear):
    """Like ``TrackerOnlyNear``, but frames before ``jump_before`` show someone 0.3 frame
    widths away (a jump of 1.5 leg lengths)."""

    def __init__(self, detect_from: int, jump_before: int) -> None:
        super().__init__(detect_from)
        self.jump_before = jump_before

    def process(self, frame_rgb: np.ndarray):
        lm = super().process(frame_rgb)
        i = int(round((float(frame_rgb.mean()) - LEVEL_0) / LEVEL_STEP))
        return lm if lm is None or i >= self.jump_before else body_at(i, dx=0.3)


def test_backfill_stops_where_the_backward_track_jumps_to_someone_else():
    backend = JumpsAt(detect_from=20, jump_before=12)
    forward = _forward(backend, 30)
    filled, n = backfill_gaps(forward, np.arange(30) / 30.0, _frames(30), backend, 200, 100,
                              5, 300)
    assert n == 8  # rows 12-19, the same walker; not the other person before them
    assert np.isnan(filled[:12, 0, 0]).all() and np.isfinite(filled[12:, 0, 0]).all()
