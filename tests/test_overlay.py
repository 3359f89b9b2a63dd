"""The overlay draws the legs with the names the scores use."""

import cv2
import numpy as np
from synthetic_walker import sagittal_walker

from posescore import constants as c
from posescore.overlay import SIDE_BGR, render_overlay
from posescore.types import PoseSequence


def _grey_video(path, n_frames: int, width: int, height: int, fps: float) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for _ in range(n_frames):
        writer.write(np.full((height, width, 3), 128, np.uint8))
    writer.release()


def _colour_at(path, frame: int, xy: np.ndarray) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    for _ in range(frame + 1):
        ok, image = cap.read()
        assert ok
    cap.release()
    x, y = (int(round(v)) for v in xy)
    return image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).mean(axis=0)


def _nearer(colour: np.ndarray) -> str:
    return min(SIDE_BGR, key=lambda side: np.abs(colour - SIDE_BGR[side]).sum())


def test_overlay_draws_exchanged_legs_under_the_names_the_scores_use(tmp_path):
    pose, _ = sagittal_walker(duration_s=0.5)
    pose = PoseSequence(pose.landmarks, pose.timestamps_s, pose.fps, pose.width, pose.height)
    video = tmp_path / "walk.mp4"
    _grey_video(video, pose.n_frames, pose.width, pose.height, pose.fps)
    frame = 5
    left_toe = pose.landmarks[frame, c.LEG_LANDMARKS["left"]["toe"], :2]
    right_toe = pose.landmarks[frame, c.LEG_LANDMARKS["right"]["toe"], :2]
    assert np.linalg.norm(left_toe - right_toe) > 20  # the feet are apart in this frame
    result = {"legs": {}}
    as_given, exchanged = tmp_path / "given.mp4", tmp_path / "exchanged.mp4"
    render_overlay(video, pose, result, as_given)
    mask = np.zeros(pose.n_frames, dtype=bool)
    mask[frame] = True
    render_overlay(video, pose, result, exchanged, legs_exchanged=mask)
    assert _nearer(_colour_at(as_given, frame, left_toe)) == "left"
    assert _nearer(_colour_at(exchanged, frame, left_toe)) == "right"
    assert _nearer(_colour_at(exchanged, frame, right_toe)) == "left"
    earlier_left_toe = pose.landmarks[frame - 1, c.LEG_LANDMARKS["left"]["toe"], :2]
    assert _nearer(_colour_at(exchanged, frame - 1, earlier_left_toe)) == "left"
