"""Frames repeating the previous picture keep its pose (pose.RepeatedFrames)."""

import cv2
import numpy as np
from pose_support import FakeBackend, pose_settings

from posescore.config import Settings
from posescore.pose import REPEAT_MAX_DIFF, RepeatedFrames, extract_pose_meta
from posescore.score import assess_quality
from posescore.signals import clean_pose
from posescore.types import PoseSequence


def _frame(value, size=(320, 240)):
    return np.full((size[1], size[0], 3), value, np.uint8)


def test_a_repeat_is_the_same_picture_within_the_tolerance():
    seen = RepeatedFrames()
    assert not seen.repeats(_frame(100))  # the first frame is always estimated
    assert seen.repeats(_frame(100))
    assert seen.repeats(_frame(100 + REPEAT_MAX_DIFF))  # re-encoding noise
    assert not seen.repeats(_frame(100 + REPEAT_MAX_DIFF + 1))
    moved = _frame(100)
    moved[100:140, 150:170] = 200  # a small part of the picture changed
    assert not seen.repeats(moved)
    assert not RepeatedFrames(enabled=False).repeats(_frame(100))


def test_slow_change_adds_up_against_the_last_estimated_frame():
    seen = RepeatedFrames()
    held = [seen.repeats(_frame(100 + 2 * i)) for i in range(8)]
    # 100 estimated; 102..106 within 6 of it; 108 estimated; 110, 112, 114 within 6 of 108
    assert held == [False, True, True, True, False, True, True, True]


def test_different_sizes_never_repeat():
    seen = RepeatedFrames()
    seen.repeats(_frame(100))
    assert not seen.repeats(_frame(100, size=(240, 320)))


def _duplicated_video(path, pictures=20, copies=4, fps=120.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (96, 64))
    for i in range(pictures):
        for _ in range(copies):
            writer.write(_frame((i * 37) % 256, size=(96, 64)))
    writer.release()
    return path


class CountingBackend(FakeBackend):
    """A fixed pose that moves one pixel per estimated frame, so every estimate differs."""

    def process(self, frame_rgb):
        lm = super().process(frame_rgb)
        lm[:, 0] += 0.001 * self.calls
        return lm


def test_duplicated_frames_are_estimated_once_and_reported(tmp_path):
    path = _duplicated_video(tmp_path / "dup.mp4")
    backend = CountingBackend()
    pose, _, meta = extract_pose_meta(path, pose_settings(tmp_path), backend=backend)
    assert pose.n_frames == 80 and backend.calls == 20
    assert pose.repeated_fraction() == 0.75
    assert pose.filmed_fps == 30.0
    np.testing.assert_array_equal(pose.landmarks[1], pose.landmarks[0])
    assert not np.array_equal(pose.landmarks[4], pose.landmarks[3])

    settings = Settings()
    quality = assess_quality(pose, clean_pose(pose, settings.signal), {}, settings)
    repeats = [w.message for w in quality.warnings if w.code == "repeated_frames"]
    assert "75% of frames repeat the previous picture" in repeats[0]
    assert "at most 30.0 distinct frames per second" in repeats[0]

    every = CountingBackend()
    off = pose_settings(tmp_path / "off", hold_repeated_frames=False)
    pose_off, _, _ = extract_pose_meta(path, off, backend=every)
    assert every.calls == 80 and pose_off.repeated_fraction() == 0.0


def test_a_video_repeated_down_to_ten_pictures_a_second_cannot_show_tremor():
    fps, copies = 30.0, 3
    rng = np.random.default_rng(1)
    distinct = rng.normal(size=(60, 33, 4))
    landmarks = np.repeat(distinct, copies, axis=0)
    pose = PoseSequence(landmarks, np.arange(len(landmarks)) / fps, fps, 640, 480)
    assert abs(pose.filmed_fps - 10.0) < 0.2
    settings = Settings()
    quality = assess_quality(pose, clean_pose(pose, settings.signal), {}, settings)
    assert quality.tremor_band_resolvable is False
