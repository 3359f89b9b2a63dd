"""The overlay draws the legs with the names the scores use and blurs every face."""

import json

import cv2
import numpy as np
import pytest
from synthetic_walker import sagittal_walker

from posescore import constants as c
from posescore.overlay import SIDE_BGR, render_overlay
from posescore.phantom import Distractor, PhantomParams, PhantomScene, render_phantom
from posescore.pose import extract_pose
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


def _frames(path) -> list[np.ndarray]:
    cap, frames = cv2.VideoCapture(str(path)), []
    while True:
        ok, image = cap.read()
        if not ok:
            return frames
        frames.append(image)


def _detail(image: np.ndarray) -> float:
    """High-frequency energy: variance of the Laplacian of the grey image."""
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def _head_ratios(before, after, boxes, width) -> list[float]:
    """Detail after / before in the top 13 % of each person box wholly in the frame."""
    ratios = []
    for a, b, box in zip(before, after, boxes):
        if box is None or box[0] <= 0 or box[2] >= width - 1:
            continue  # outside, or cut by the frame's edge
        x0, y0, x1, y1 = box
        head = slice(int(y0), int(y0 + 0.13 * (y1 - y0))), slice(int(x0), int(x1))
        if _detail(a[head]) > 50:  # the head is in view
            ratios.append(_detail(b[head]) / _detail(a[head]))
    return ratios


@pytest.mark.slow
@pytest.mark.parametrize("mode, facing", [("walk_in_place", "camera"),
                                          ("walk_across", "left")])
def test_overlay_blurs_the_bystanders_face_too(tmp_path, mode, facing):
    scene = PhantomScene(distractor=Distractor(seed=9, mode=mode, x_frac=0.3, facing=facing,
                                               size_ratio=0.7))
    params = PhantomParams(affected_side="left", severity=2.0, seed=4, view="sagittal_left",
                           scene=scene, fps=25, duration_s=3.0, width=640, height=480)
    video = tmp_path / "crowd.mp4"
    render_phantom(params, video)
    truth = json.loads(video.with_suffix(".truth.json").read_text())
    pose, _ = extract_pose(video)
    drawn, plain = tmp_path / "drawn.mp4", tmp_path / "plain.mp4"
    stats = render_overlay(video, pose, {"legs": {}}, drawn)
    render_overlay(video, pose, {"legs": {}}, plain, annotate=False)
    assert stats["frames_with_faces_found"] > 0.4 * stats["frames"]  # every other frame searched
    before, plain_frames = _frames(video), _frames(plain)
    bystander = _head_ratios(before, plain_frames, truth["distractor"]["bbox_px"], 640)
    subject = _head_ratios(before, plain_frames, truth["subject_bbox_px"], 640)
    for ratios in (bystander, subject):
        assert len(ratios) > 0.5 * stats["frames"]  # the head in view in most frames
        assert np.mean(np.array(ratios) < 0.2) > 0.97, np.round(ratios, 3)
        assert np.median(ratios) < 0.05
    # as drawn too (the subject's skeleton may cross the bystander's head behind it)
    drawn_ratios = _head_ratios(before, _frames(drawn), truth["distractor"]["bbox_px"], 640)
    assert np.median(drawn_ratios) < 0.05
