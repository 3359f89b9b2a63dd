"""Finding people on sampled frames, for subject selection.

Detection is screened (``SubjectConfig.screen_first``): MediaPipe Pose in static mode runs
first, repeated with each found person masked out (during the tracking pass the tracked
person is taken as the first one found, which saves a search); OpenCV's built-in HOG people
detector runs only when MediaPipe does not show exactly one person whose boxes link into one
track (``detect_frames``). After a tracking pass whose tracked person is one walker at every
sample (``tracked_one_walker``) nothing is screened: that person is the one found. Detections
are in full-frame pixels (``boxes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import cv2
import numpy as np

from posescore.config import SubjectConfig
from posescore.constants import LEFT_ANKLE, RIGHT_ANKLE
from posescore.pose.backend import import_mediapipe
from posescore.pose.boxes import (
    DETECTION_COLUMNS,
    as_detections,
    merge_detections,
    suppress_nested,
)
from posescore.pose.linking import link_detections, track_motion
from posescore.types import VideoMeta
from posescore.video import FrameSource, iter_frames

_HOG_PAD_FRAC = (0.15, 0.05)
"""HOG windows are larger than the person; shrink by this share of width, height per side
(as OpenCV's ``peopledetect.py`` sample does)."""
_HOG_SCALE_STEP = 1.1
"""Image pyramid step of the HOG search (1.05 finds slightly more, at twice the time)."""
_LANDMARK_MIN_VISIBILITY = 0.5
_HEAD_TOP_MARGIN = 0.12
"""MediaPipe's highest landmarks are the eyes and ears; the head top is about this share of
the landmark height above them."""
_SIDE_MARGIN = 0.08
"""Landmark boxes are widened by this share of their height on each side (limbs' width)."""
_MASK_GROW = 0.10
"""A found person's box is grown by this share of its height before it is masked out."""


def sample_stride(fps: float, frame_count: int, sample_rate_hz: float, max_samples: int) -> int:
    """Frame stride giving about ``sample_rate_hz`` samples/s and at most ``max_samples``."""
    stride = max(1, round(fps / sample_rate_hz))
    return max(stride, -(-frame_count // max_samples))


def _hog_people(frame_bgr: np.ndarray, hog: cv2.HOGDescriptor, min_weight: float) -> np.ndarray:
    rects, weights = hog.detectMultiScale(
        frame_bgr, winStride=(8, 8), padding=(16, 16), scale=_HOG_SCALE_STEP
    )
    if len(rects) == 0:
        return np.empty((0, DETECTION_COLUMNS))
    rects = np.asarray(rects, dtype=float).reshape(-1, 4)[np.ravel(weights) >= min_weight]
    pad_w, pad_h = _HOG_PAD_FRAC[0] * rects[:, 2], _HOG_PAD_FRAC[1] * rects[:, 3]
    boxes = np.stack([rects[:, 0] + pad_w, rects[:, 1] + pad_h,
                      rects[:, 0] + rects[:, 2] - pad_w, rects[:, 1] + rects[:, 3] - pad_h], axis=1)
    return as_detections(suppress_nested(boxes))


def landmark_box(landmarks_xyv: np.ndarray) -> Optional[np.ndarray]:
    """Person box (x0, y0, x1, y1) from landmark pixels (33, 3: x, y, visibility).

    Uses the visible landmarks (visibility >= 0.5; all when fewer than 5 are), adds the head
    top above the eyes and the limbs' width at the sides. None when the box is empty.
    """
    vis = landmarks_xyv[:, 2] >= _LANDMARK_MIN_VISIBILITY
    pts = landmarks_xyv[vis, :2] if vis.sum() >= 5 else landmarks_xyv[:, :2]
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    h = y1 - y0
    if h <= 0:
        return None
    return np.array([x0 - _SIDE_MARGIN * h, y0 - _HEAD_TOP_MARGIN * h, x1 + _SIDE_MARGIN * h, y1])


def landmark_detection(landmarks_xyv: np.ndarray) -> Optional[np.ndarray]:
    """Detection (``DETECTION_COLUMNS``) from landmark pixels (33, 3: x, y, visibility).

    ``landmark_box`` followed by the ankle gap (|dx|, |dy|) in box heights, NaN when an ankle's
    visibility is below 0.5. None when the box is empty.
    """
    box = landmark_box(landmarks_xyv)
    if box is None:
        return None
    ankles = landmarks_xyv[[LEFT_ANKLE, RIGHT_ANKLE]]
    gap = np.abs(ankles[1, :2] - ankles[0, :2]) / (box[3] - box[1])
    if ankles[:, 2].min() < _LANDMARK_MIN_VISIBILITY:
        gap = np.full(2, np.nan)
    return np.concatenate([box, gap])


def _in_picture(person: np.ndarray, width: float, height: float) -> np.ndarray:
    """A detection with its box clipped to the picture (joints are predicted off it)."""
    return np.concatenate([np.clip(person[:4], 0, [width, height, width, height]), person[4:]])


def _mediapipe_people(
    frame_bgr: np.ndarray, pose: Any, max_people: int, prior: Optional[np.ndarray] = None
) -> np.ndarray:
    """People (detections, n x 6) found by MediaPipe in static mode, masked out one by one.

    Each person found is masked out before the next search. ``prior`` (a detection in frame
    pixels, e.g. the person tracked in this frame) counts as the first person found: it is
    masked and one search fewer is made.
    """
    img = frame_bgr.copy()
    h_px, w_px = img.shape[:2]
    fill = tuple(int(v) for v in np.median(img.reshape(-1, 3), axis=0))
    scale = np.array([w_px, h_px, 1.0])
    found = []
    while len(found) < max_people:
        if prior is not None:
            person, prior = as_detections(prior)[0], None
        else:
            result = pose.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
            if result.pose_landmarks is None:
                break
            lm = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark])
            person = landmark_detection(lm * scale)
            if person is None:
                break
        found.append(_in_picture(person, w_px, h_px))
        box = found[-1][:4]
        g = _MASK_GROW * (box[3] - box[1])
        x0, y0 = np.clip(np.floor(box[:2] - g), 0, [w_px, h_px]).astype(int)
        x1, y1 = np.clip(np.ceil(box[2:] + g), 0, [w_px, h_px]).astype(int)
        if x1 <= x0 or y1 <= y0:
            break
        cv2.rectangle(img, (int(x0), int(y0)), (int(x1), int(y1)), fill, thickness=-1)
    return np.array(found).reshape(-1, DETECTION_COLUMNS)


def landmark_detections(landmarks_px: np.ndarray) -> list[Optional[np.ndarray]]:
    """Detection per frame from tracked landmarks (T, 33, >= 3: x_px, y_px, ..., visibility).

    Returns
    -------
    list of T ndarrays, shape (6,), or None
        ``landmark_detection`` of each frame in the landmarks' pixels; None where no body was
        found.
    """
    xyv = landmarks_px[..., [0, 1, -1]]
    return [None if np.isnan(f).any() else landmark_detection(f) for f in xyv]


@dataclass(frozen=True)
class Detections:
    """People found on sampled frames.

    Attributes
    ----------
    times_s : ndarray, shape (K,)
        Times of the sampled frames, s.
    boxes : list of K ndarrays, shape (n_k, 6)
        Detections (box (x0, y0, x1, y1) in full-frame pixels, ankle gap) per sampled frame;
        detectors merged with ``merge_detections`` in the order of ``SubjectConfig.detectors``.
    detectors : tuple of str
        Detectors that ran.
    """

    times_s: np.ndarray
    boxes: list[np.ndarray]
    detectors: tuple[str, ...]


class PeopleDetector:
    """People detectors on downscaled sampled frames; ``close()`` frees MediaPipe.

    Each detector's model is made on first use.

    Parameters
    ----------
    cfg : SubjectConfig
        ``hog_min_weight`` and ``max_people_per_frame``.
    """

    def __init__(self, cfg: SubjectConfig) -> None:
        self.cfg = cfg
        self._hog: Optional[cv2.HOGDescriptor] = None
        self._pose: Any = None

    def detect(
        self, name: str, frame_bgr: np.ndarray, prior: Optional[np.ndarray] = None
    ) -> np.ndarray:
        """Detections (n, 6) in the frame's pixels found by detector ``name``.

        ``prior`` (MediaPipe only) is a person already known (box or detection), in the
        frame's pixels.
        """
        if name == "hog":
            return _hog_people(frame_bgr, self._hog_model(), self.cfg.hog_min_weight)
        return _mediapipe_people(
            frame_bgr, self._pose_model(), self.cfg.max_people_per_frame, prior
        )

    def _hog_model(self) -> cv2.HOGDescriptor:
        if self._hog is None:
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        return self._hog

    def _pose_model(self) -> Any:
        if self._pose is None:
            mp = import_mediapipe()
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=True, model_complexity=1, enable_segmentation=False,
                min_detection_confidence=0.5,
            )
        return self._pose

    def close(self) -> None:
        """Release the MediaPipe graph (idempotent)."""
        pose, self._pose = self._pose, None
        if pose is not None:
            pose.close()


def _to_full(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Factors (6,) from a downscaled frame's pixels to full-frame pixels, per detection column.

    The ankle gap, in box heights, keeps its value.
    """
    return np.array([width / frame.shape[1], height / frame.shape[0]] * 2 + [1.0, 1.0])


def screen_frames(
    frames: list[np.ndarray],
    detector: PeopleDetector,
    width: int,
    height: int,
    priors: Optional[list[Optional[np.ndarray]]] = None,
) -> list[np.ndarray]:
    """MediaPipe's people on sampled frames (the screening step of ``detect_frames``).

    Parameters
    ----------
    frames : list of K ndarrays
        Downscaled upright BGR frames.
    detector : PeopleDetector
        Its MediaPipe graph is used.
    width, height : int
        Full frame size, pixels.
    priors : list of K (ndarray (6,) or None), optional
        The person tracked in each frame (``landmark_detection``), full-frame pixels: taken
        as found first, which saves MediaPipe's first search (None where nobody was tracked).

    Returns
    -------
    list of K ndarrays, shape (n_k, 6)
        Detections in full-frame pixels.
    """
    boxes = []
    for k, frame in enumerate(frames):
        to_full = _to_full(frame, width, height)
        prior = None
        if priors is not None and priors[k] is not None:
            prior = as_detections(priors[k])[0] / to_full
        boxes.append(detector.detect("mediapipe", frame, prior) * to_full)
    return boxes


def _linked(times_s: np.ndarray, boxes: list[np.ndarray], cfg: SubjectConfig) -> np.ndarray:
    return link_detections(
        np.asarray(times_s, dtype=float), boxes, cfg.link_max_distance_box_heights,
        cfg.max_gap_s,
    )


def one_person(times_s: np.ndarray, boxes: list[np.ndarray], cfg: SubjectConfig) -> bool:
    """True when no sample shows two people and the boxes link into exactly one track."""
    if any(len(b) > 1 for b in boxes):
        return False
    return len(_linked(times_s, boxes, cfg)) == 1


def tracked_one_walker(
    times_s: np.ndarray, tracked: list[Optional[np.ndarray]], cfg: SubjectConfig
) -> bool:
    """True when the tracking pass stayed on one walker: nothing more to look for.

    The person tracked (``landmark_detection``) is there at every sample, links into one
    track (no jump to someone else) and walks (``linking.track_motion`` at least
    ``cfg.walking_box_heights``: a tracker held by a bystander standing still fails).
    """
    if not tracked or any(person is None for person in tracked):
        return False
    tracks = _linked(times_s, [as_detections(person) for person in tracked], cfg)
    return len(tracks) == 1 and track_motion(tracks)[0] >= cfg.walking_box_heights


def screens(cfg: SubjectConfig) -> bool:
    """True when MediaPipe screens the samples before the other detectors run."""
    return cfg.screen_first and "mediapipe" in cfg.detectors


def detect_frames(
    times_s: np.ndarray,
    frames: list[np.ndarray],
    width: int,
    height: int,
    cfg: SubjectConfig,
    tracked: Optional[list[Optional[np.ndarray]]] = None,
) -> Detections:
    """People on sampled frames with the configured detectors.

    With ``cfg.screen_first`` MediaPipe runs first (``screen_frames``, the ``tracked`` person
    taken as found first); when it finds one person who links into one track
    (``one_person``) the other detectors are skipped, otherwise they run on every sample and
    all are merged. When the ``tracked`` person is one walker at every sample
    (``tracked_one_walker``) MediaPipe does not run either: that person is the one found.

    Parameters
    ----------
    times_s : ndarray, shape (K,)
        Times of the sampled frames, s.
    frames : list of K ndarrays
        Downscaled upright BGR frames.
    width, height : int
        Full frame size, pixels.
    cfg : SubjectConfig
        Detector, screening and linking settings.
    tracked : list of K (ndarray (6,) or None), optional
        The person a tracking pass tracked at each sample (``landmark_detection``),
        full-frame pixels.
    """
    times_s = np.asarray(times_s, dtype=float)
    names = tuple(cfg.detectors)
    found: dict[str, list[np.ndarray]] = {}
    detector = PeopleDetector(cfg)
    try:
        if screens(cfg):
            if tracked is not None and tracked_one_walker(times_s, tracked, cfg):
                found["mediapipe"] = [_in_picture(p, width, height)[None] for p in tracked]
            else:
                found["mediapipe"] = screen_frames(frames, detector, width, height, tracked)
            if one_person(times_s, found["mediapipe"], cfg):
                names = ("mediapipe",)
        for name in names:
            if name not in found:
                found[name] = [
                    detector.detect(name, f) * _to_full(f, width, height) for f in frames
                ]
    finally:
        detector.close()
    boxes = []
    for k in range(len(times_s)):
        merged = np.empty((0, DETECTION_COLUMNS))
        for name in names:
            merged = merge_detections(merged, found[name][k])
        boxes.append(merged)
    return Detections(times_s=times_s, boxes=boxes, detectors=names)


def detect_people(
    meta: VideoMeta, cfg: SubjectConfig, source: Optional[FrameSource] = None
) -> Detections:
    """Detect people in sparsely sampled frames (a decoding pass of its own).

    Parameters
    ----------
    meta : VideoMeta
        The video (from ``probe_video``).
    cfg : SubjectConfig
        Sampling and detector settings (see ``detect_frames``).
    source : FrameSource, optional
        The video's frame source (its pass); None = read ``meta``'s file on its own.
    """
    stride = sample_stride(meta.fps, meta.frame_count, cfg.sample_rate_hz, cfg.max_samples)
    side_px = cfg.detect_max_side_px
    times: list[float] = []
    frames: list[np.ndarray] = []
    passed = (
        iter_frames(meta, stride=stride, max_side_px=side_px) if source is None
        else source.frames(stride=stride, max_side_px=side_px)
    )
    for _, t_s, frame in passed:
        times.append(t_s)
        frames.append(frame)
    return detect_frames(np.asarray(times, dtype=float), frames, meta.width, meta.height, cfg)
