"""Tracking one person through frames: whole frames, or crops around the chosen subject.

``track_frames`` runs the backend over whole frames; ``track_subject_frames`` over crops
around the subject's box (``subject.crop_boxes``), mapped back to full-frame pixels and
dropped where the body leaves the subject's track. Both can hold the pose of a repeated
frame (``frames.RepeatedFrames``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Optional

import cv2
import numpy as np

from posescore.config import PoseConfig, SubjectConfig
from posescore.constants import LEFT_HIP, N_LANDMARKS, RIGHT_HIP
from posescore.pose.backend import PoseBackend
from posescore.pose.frames import RepeatedFrames
from posescore.pose.subject import SubjectTrack, crop_boxes, off_track

ProgressCallback = Callable[[int, int], None]
"""``progress(done, expected)``: frames tracked so far, of those expected."""
_MISSING = np.full((N_LANDMARKS, 4), np.nan)
"""The row of a frame without a body."""


def _track_rows(
    frames: Iterator[tuple[int, float, np.ndarray]],
    estimate: Callable[[float, np.ndarray], np.ndarray],
    hold_repeats: bool,
    n_expected: int,
    progress: Optional[ProgressCallback],
    on_frame: Optional[Callable[[int, np.ndarray], None]] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks (T, 33, 4) ``estimate(t_s, frame)`` per frame, and their times (T,), s.

    With ``hold_repeats`` a frame repeating the last estimated picture (``RepeatedFrames``)
    gets the previous row without an estimate. ``on_frame(index, row)`` follows each frame.
    """
    rows: list[np.ndarray] = []
    times: list[float] = []
    repeated = RepeatedFrames(hold_repeats)
    for i, (index, t_s, frame) in enumerate(frames):
        rows.append(rows[-1] if repeated.repeats(frame) and rows else estimate(t_s, frame))
        times.append(t_s)
        if on_frame is not None:
            on_frame(index, rows[-1])
        if progress is not None:
            progress(i + 1, n_expected)
    if not rows:
        return np.empty((0, N_LANDMARKS, 4)), np.empty(0)
    return np.stack(rows), np.asarray(times)


def track_frames(
    frames: Iterator[tuple[int, float, np.ndarray]],
    backend: PoseBackend,
    width: int,
    height: int,
    n_expected: int = 0,
    progress: Optional[ProgressCallback] = None,
    rgb: bool = False,
    on_frame: Optional[Callable[[int, np.ndarray], None]] = None,
    hold_repeats: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the backend over BGR frames (RGB frames with ``rgb=True``, converted upstream).

    ``on_frame(index, landmarks)`` is called after each frame with its (33, 4) row. With
    ``hold_repeats`` a frame that repeats the previous picture (``RepeatedFrames``) gets the
    previous frame's landmarks without running the backend.

    Returns
    -------
    landmarks : ndarray, shape (T, 33, 4)
        x_px, y_px, z_px (scaled by ``width`` as MediaPipe's z is), visibility; NaN when
        no body was found.
    timestamps_s : ndarray, shape (T,)
    """
    scale = np.array([width, height, width, 1.0])

    def estimate(t_s: float, frame: np.ndarray) -> np.ndarray:
        lm = backend.process(frame if rgb else cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        return _MISSING if lm is None else lm * scale

    return _track_rows(frames, estimate, hold_repeats, n_expected, progress, on_frame)


def track_subject_frames(
    frames: Iterator[tuple[int, float, np.ndarray]],
    backend: PoseBackend,
    subject: SubjectTrack,
    subject_cfg: SubjectConfig,
    max_side_px: int,
    n_expected: int = 0,
    progress: Optional[ProgressCallback] = None,
    hold_repeats: bool = False,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Run the backend on crops around the subject of full-size BGR frames.

    ``hold_repeats`` as in :func:`track_frames` (the whole frame is compared, not the crop).

    Each frame is cropped with ``subject.crop_boxes`` (box grown by the configured margin,
    size stable over ``crop_window_s``), downscaled so the crop's long side is at most
    ``max_side_px``, and the landmarks are mapped back to full-frame pixels. Frames whose
    mid-hip is farther than ``jump_threshold_box_heights`` from the subject's box centre
    are set to NaN (the tracker jumped to someone else).

    Returns
    -------
    landmarks : ndarray, shape (T, 33, 4)
        x_px, y_px, z_px (z scaled by the crop width, i.e. full-frame pixels), visibility;
        NaN when no body was found or the frame was dropped.
    timestamps_s : ndarray, shape (T,)
    n_dropped : int
        Frames dropped because the body was off the subject's track.
    """

    def estimate(t_s: float, frame_bgr: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = crop_boxes(
            subject, np.array([t_s]), subject_cfg.crop_margin_box_heights,
            subject_cfg.crop_window_s,
        )[0]
        crop = frame_bgr[y0:y1, x0:x1]
        long_side = max(crop.shape[:2])
        if long_side > max_side_px:
            size = (round(crop.shape[1] * max_side_px / long_side),
                    round(crop.shape[0] * max_side_px / long_side))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        lm = backend.process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))
        if lm is None:
            return _MISSING
        w_px, h_px = x1 - x0, y1 - y0
        return lm * np.array([w_px, h_px, w_px, 1.0]) + np.array([x0, y0, 0.0, 0.0])

    landmarks, times_s = _track_rows(frames, estimate, hold_repeats, n_expected, progress)
    if landmarks.shape[0] == 0:
        return landmarks, times_s, 0
    hips = [LEFT_HIP, RIGHT_HIP]
    hip_xy_px = landmarks[:, hips, :2].mean(axis=1)
    dropped = off_track(
        hip_xy_px, subject.boxes_at(times_s), subject_cfg.jump_threshold_box_heights
    )
    landmarks[dropped] = np.nan
    return landmarks, times_s, int(dropped.sum())


def effective_stride(fps: float, cfg: PoseConfig) -> int:
    """Frame stride of the pose: ``frame_stride``, raised so that fps / stride <= max_pose_fps.

    ``PoseConfig.max_pose_fps`` is at least 20 frames/s, so the sampled rate stays above
    the 16 frames/s the 4-8 Hz tremor band needs (e.g. 60 fps -> stride 3 -> 20 fps at 20).
    """
    stride = cfg.frame_stride
    if cfg.max_pose_fps is not None:
        stride = max(stride, int(fps // cfg.max_pose_fps))
    return stride
