"""Every face in a video's frames, for blurring: MediaPipe face detection, held over time.

Every ``DETECT_EVERY``-th frame is searched by MediaPipe's full-range face detector
(``model_selection=1``, the model bundled with the wheel: no network) on the whole frame and
on ``grid x grid`` overlapping tiles (each half the frame's size for ``grid=3``), so that the
faces of people far from the camera, a few per cent of the frame high, are searched at a
usable size. A detected box is grown by ``FACE_MARGIN`` of its size on each side and
``FACE_TOP`` above (hair). A box found in frame t is blurred in frames t - hold .. t + hold
(``held_boxes``; hold ``HOLD_S``), grown by ``HOLD_GROW_PER_S`` of its size per second away
from t, so that a face the detector misses for a few frames is still covered as it moves.
Both run as the frames come (generators), so one decoding pass both finds and blurs the
faces, with ``hold + 1`` frames in memory. Boxes are ``(x0, y0, x1, y1)`` in pixels of the
upright full-size frame.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import cv2
import numpy as np

from posescore.errors import PoseError
from posescore.pose.boxes import suppress_nested

FACE_MARGIN = 0.5
"""A detected face box is grown by this share of its larger side on the left, right and below."""
FACE_TOP = 0.8
"""... and by this share above (hair)."""
TILE_GRID = 3
"""Tiles per side searched besides the whole frame (0 = whole frame only)."""
MIN_CONFIDENCE = 0.5
"""Lowest face detection score kept."""
DETECT_EVERY = 2
"""Every how many frames faces are searched; the hold covers the frames between."""
HOLD_S = 0.3
"""A face box found at time t is blurred from t - HOLD_S to t + HOLD_S, s."""
HOLD_GROW_PER_S = 1.0
"""... grown on each side by this share of its larger side per second away from t."""


def tile_windows(width: int, height: int, grid: int = TILE_GRID) -> np.ndarray:
    """The whole frame, then ``grid x grid`` tiles overlapping by half, pixels.

    Returns
    -------
    ndarray of int, shape (1 + grid**2, 4)
        Windows (x0, y0, x1, y1).
    """
    windows = [(0, 0, width, height)]
    if grid > 1:
        tw, th = 2 * width // (grid + 1), 2 * height // (grid + 1)
        xs = np.linspace(0, width - tw, grid).round().astype(int)
        ys = np.linspace(0, height - th, grid).round().astype(int)
        windows += [(x, y, x + tw, y + th) for y in ys for x in xs]
    return np.array(windows, dtype=int)


def grow_faces(boxes: np.ndarray, margin: float = FACE_MARGIN, top: float = FACE_TOP) -> np.ndarray:
    """Face boxes (n, 4) grown to cover the head: ``margin`` of the larger side, ``top`` above."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    size = np.max(boxes[:, 2:] - boxes[:, :2], axis=1)
    return boxes + np.outer(size, [-margin, -top, margin, margin])


def held_boxes(found: Iterable[np.ndarray], hold: int, grow: float = 0.0) -> Iterator[np.ndarray]:
    """Per frame, every box found within ``hold`` frames of it (no copies, none inside another).

    Lazy: frame t's boxes are given as soon as frame ``t + hold``'s are in (or ``found``
    ends), so a caller may hold back the frames themselves ``hold`` frames only.

    Parameters
    ----------
    found : iterable of T ndarrays, shape (n_t, 4)
        Boxes found in each frame, pixels, in frame order.
    hold : int
        Frames before and after.
    grow : float
        A box held d frames away from where it was found is grown by ``grow * d`` of its larger
        side on each side (the face may have moved).

    Yields
    ------
    ndarray, shape (m_t, 4)
        For t = 0 .. T - 1.
    """
    window: deque[np.ndarray] = deque()  # boxes of frames lo, lo + 1, ...
    lo = t = 0
    for boxes in found:
        window.append(np.asarray(boxes, dtype=float).reshape(-1, 4))
        if lo + len(window) > t + hold:  # frame t + hold is in
            yield _held_at(window, lo, t, hold, grow)
            t += 1
            if t - hold > lo:
                window.popleft()
                lo += 1
    while t < lo + len(window):
        yield _held_at(window, lo, t, hold, grow)
        t += 1


def _held_at(window: deque[np.ndarray], lo: int, t: int, hold: int, grow: float) -> np.ndarray:
    """``held_boxes`` of frame ``t`` from the boxes of frames ``lo, lo + 1, ...``."""
    near = [grow_faces(window[u - lo], grow * abs(u - t), grow * abs(u - t))
            for u in range(max(lo, t - hold), min(lo + len(window), t + hold + 1))]
    unique = np.unique(np.concatenate(near), axis=0)
    return suppress_nested(unique, max_contained=1.0)


def hold_frames(fps: float, hold_s: float = HOLD_S) -> int:
    """``hold_s`` in frames at ``fps`` (frames/s), at least 1."""
    return max(1, int(round(hold_s * fps)))


class FaceDetector:
    """MediaPipe face detection (full range) on a frame and its tiles; ``close()`` frees it.

    Parameters
    ----------
    grid : int
        Tiles per side besides the whole frame (``tile_windows``).
    min_confidence : float
        Lowest detection score kept.
    """

    def __init__(self, grid: int = TILE_GRID, min_confidence: float = MIN_CONFIDENCE) -> None:
        try:
            import mediapipe as mp
        except ImportError as exc:  # pragma: no cover - install problem
            raise PoseError(f"mediapipe is not installed or failed to import: {exc}") from exc
        self.grid = grid
        self._model: Any = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence
        )

    def detect(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Face boxes (n, 4) in the frame's pixels, grown (``grow_faces``)."""
        h, w = frame_bgr.shape[:2]
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        found = []
        for x0, y0, x1, y1 in tile_windows(w, h, self.grid):
            result = self._model.process(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
            for det in result.detections or []:
                b = det.location_data.relative_bounding_box
                tw, th = x1 - x0, y1 - y0
                found.append((x0 + b.xmin * tw, y0 + b.ymin * th,
                              x0 + (b.xmin + b.width) * tw, y0 + (b.ymin + b.height) * th))
        return grow_faces(np.array(found))

    def close(self) -> None:
        """Release the MediaPipe graph (idempotent)."""
        model, self._model = self._model, None
        if model is not None:
            model.close()

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def find_faces(frames: Iterable[np.ndarray], every: int = DETECT_EVERY) -> Iterator[np.ndarray]:
    """Face boxes (n_t, 4) per BGR frame, pixels, as the frames come.

    Frames between searched ones get none. The detector is released when the frames end or
    the generator is closed.
    """
    with FaceDetector() as detector:
        for k, frame in enumerate(frames):
            yield detector.detect(frame) if k % every == 0 else np.empty((0, 4))
