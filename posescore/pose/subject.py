"""Choosing the person of interest in a video with several people.

MediaPipe Pose tracks one person and may jump to a bystander. Scoring is offline, so the
subject is chosen from the whole clip first: frames are sampled sparsely, people are detected
in them, detections are linked across samples into tracks, and the track with the highest
score is the subject. Detection is screened (``SubjectConfig.screen_first``): MediaPipe Pose
in static mode runs first, repeated with each found person masked out (during the tracking
pass the tracked person is taken as the first one found, which saves a search); OpenCV's
built-in HOG people detector runs only when MediaPipe does not show exactly one person whose
boxes link into one track. The score is

    score = persistence_weight * seen_fraction + size_weight * relative_height
            + centrality_weight * centrality + walking_weight * walking

``seen_fraction`` is the share of sampled frames the track was detected in or hidden behind
another person (``hidden_behind``), ``relative_height`` its median box height over the
tallest track's, ``centrality`` ``1 - |median centre x - W/2| / (W/2)`` and ``walking`` how
clearly the track walks (``track_motion``: travel across the picture, change of size when
walking towards or away from the camera, or stepping in place seen in the gap between
MediaPipe's ankles; a person standing still scores about 0, as the design asks for "the most
persistent, largest, most central walker"). A region given by the user
(``SubjectConfig.roi``) overrides the score: the track whose centre lies inside it most often
is the subject.

The pose stage then crops around the subject's box (``crop_boxes``) and drops frames whose
body is far from it (``off_track``). All box maths is pure functions on arrays; boxes are
``(x0, y0, x1, y1)`` in pixels of the upright full-size frame unless said otherwise. A
detection is a box followed by the ankle gap ``(|dx|, |dy|)`` between the person's ankles in
box heights (``DETECTION_COLUMNS``; NaN when the detector gives no ankles, as HOG does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from posescore.config import SubjectConfig
from posescore.constants import LEFT_ANKLE, RIGHT_ANKLE
from posescore.errors import PoseError
from posescore.types import VideoMeta
from posescore.video import iter_frames

logger = logging.getLogger(__name__)

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
_MERGE_IOU = 0.3
"""A second detector's box overlapping a first detector's box this much is the same person."""
_SIZE_JITTER_LN = float(np.log(1.2))
"""One still person's boxes differ in height by up to about 20 % (HOG's pyramid steps, HOG
against MediaPipe boxes); size changes within this do not count as walking towards the camera."""
DETECTION_COLUMNS = 6
"""A detection: box (x0, y0, x1, y1) px, then ankle gap (|dx|, |dy|) in box heights."""


@dataclass(frozen=True)
class SubjectTrack:
    """The chosen subject: boxes at sampled times, interpolatable to any frame time.

    Attributes
    ----------
    times_s : ndarray, shape (K,)
        Times of the sampled frames, s.
    boxes_px : ndarray, shape (K, 4)
        Subject box (x0, y0, x1, y1) in full-frame pixels per sample; NaN where unseen.
    people_seen : int
        People (tracks seen in at least ``min_track_samples`` samples) in the clip.
    method : str
        ``"detected"`` (highest score), ``"roi"`` (the track inside the user's region) or
        ``"roi-fixed"`` (nobody found inside the region; the region itself is the box).
    width_px, height_px : int
        Full frame size, pixels.
    detectors : tuple of str
        Detectors used on the sampled frames.
    """

    times_s: np.ndarray
    boxes_px: np.ndarray
    people_seen: int
    method: str
    width_px: int
    height_px: int
    detectors: tuple[str, ...] = ()

    @property
    def needs_crop(self) -> bool:
        """True when pose must be tracked inside the subject's region.

        False for a single person found automatically: then MediaPipe sees the whole frame,
        as without subject selection.
        """
        return self.method != "detected" or self.people_seen > 1

    def boxes_at(self, times_s: np.ndarray) -> np.ndarray:
        """Boxes linearly interpolated between samples, held constant beyond them.

        Parameters
        ----------
        times_s : ndarray, shape (N,)
            Frame times, s.

        Returns
        -------
        ndarray, shape (N, 4)
            (x0, y0, x1, y1) in full-frame pixels.
        """
        t = np.atleast_1d(np.asarray(times_s, dtype=float))
        seen = ~np.isnan(self.boxes_px).any(axis=1)
        ts, boxes = self.times_s[seen], self.boxes_px[seen]
        return np.stack([np.interp(t, ts, boxes[:, j]) for j in range(4)], axis=1)

    def box_at(self, t_s: float) -> tuple[float, float, float, float]:
        """Box (x0, y0, x1, y1) in full-frame pixels at time ``t_s`` (s)."""
        x0, y0, x1, y1 = self.boxes_at(np.array([t_s]))[0]
        return float(x0), float(y0), float(x1), float(y1)

    def summary(self) -> dict[str, Any]:
        """JSON-ready record of how the subject was chosen (no file paths)."""
        seen = ~np.isnan(self.boxes_px).any(axis=1)
        median = np.median(self.boxes_px[seen], axis=0)
        return {
            "method": self.method,
            "people_seen": int(self.people_seen),
            "detectors": list(self.detectors),
            "samples": int(len(self.times_s)),
            "samples_seen": int(seen.sum()),
            "box_median_px": [round(float(v), 1) for v in median],
            "cropped": bool(self.needs_crop),
        }


# --- pure box maths ---------------------------------------------------------------------


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection area of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), px^2."""
    ix = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    iy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(ix, 0, None) * np.clip(iy, 0, None)


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (N, 4) with every box in ``b`` (M, 4).

    Returns
    -------
    ndarray, shape (N, M)
        IoU in [0, 1].
    """
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    inter = _intersection(a, b)
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _centres(boxes: np.ndarray) -> np.ndarray:
    return np.stack([(boxes[..., 0] + boxes[..., 2]) / 2, (boxes[..., 1] + boxes[..., 3]) / 2], -1)


def _heights(boxes: np.ndarray) -> np.ndarray:
    return boxes[..., 3] - boxes[..., 1]


def _contains(boxes: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether points (x, y) lie inside boxes (..., 4), broadcast; NaN boxes contain nothing."""
    with np.errstate(invalid="ignore"):
        return (x >= boxes[..., 0]) & (x <= boxes[..., 2]) & (y >= boxes[..., 1]) & (
            y <= boxes[..., 3])


def as_detections(rows: np.ndarray) -> np.ndarray:
    """Rows of boxes (N, 4) or detections (N, 6) as detections (N, 6), NaN ankle gaps added."""
    rows = np.asarray(rows, dtype=float)
    rows = rows.reshape(-1, rows.shape[-1] if rows.size else 4)
    missing = DETECTION_COLUMNS - rows.shape[1]
    return np.pad(rows, ((0, 0), (0, missing)), constant_values=np.nan) if missing else rows


def merge_detections(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Union of two detectors' boxes in one frame, the primary's box winning on overlap.

    A secondary box is dropped when it overlaps a primary box (IoU >= 0.3) or its centre lies
    inside one.

    Parameters
    ----------
    primary, secondary : ndarray, shape (N, 4 or 6) and (M, 4 or 6)
        Boxes in pixels, or detections (``DETECTION_COLUMNS``).

    Returns
    -------
    ndarray, shape (N + m, 6)
        The primary detections followed by the m secondary ones kept.
    """
    primary, secondary = as_detections(primary), as_detections(secondary)
    if len(primary) == 0 or len(secondary) == 0:
        return np.concatenate([primary, secondary])
    c = _centres(secondary)
    inside = _contains(primary[None, :], c[:, None, 0], c[:, None, 1]).any(axis=1)
    overlap = (box_iou(secondary[:, :4], primary[:, :4]) >= _MERGE_IOU).any(axis=1)
    return np.concatenate([primary, secondary[~(inside | overlap)]])


def suppress_nested(boxes: np.ndarray, max_contained: float = 0.7) -> np.ndarray:
    """Drop boxes lying mostly inside a larger box (a detector firing twice on one person).

    Parameters
    ----------
    boxes : ndarray, shape (N, 4)
        Boxes in pixels.
    max_contained : float
        A box is dropped when at least this share of its area lies inside a larger box.

    Returns
    -------
    ndarray, shape (n, 4)
        The boxes kept, in their order.
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    area = _area(boxes)
    contained = _intersection(boxes, boxes) / np.maximum(area[:, None], 1e-9)
    inside_larger = (contained >= max_contained) & (area[None, :] > area[:, None])
    return boxes[~inside_larger.any(axis=1)]


PAUSE_SAMPLE_INTERVALS = 2.5
"""Samples further apart than this many median sample intervals straddle a pause in the
recording (no frames in between)."""


def without_pauses(times_s: np.ndarray) -> np.ndarray:
    """Sample times, s, with the pauses in the recording taken out.

    An interval between consecutive samples longer than ``PAUSE_SAMPLE_INTERVALS`` median
    intervals had no frames to sample (a recording paused and resumed, a cut): it counts as
    one median interval, so a person is not lost for time nobody filmed.
    """
    t = np.asarray(times_s, dtype=float)
    if t.size < 3:
        return t
    dt = np.diff(t)
    step = float(np.median(dt))
    dt = np.where(dt > PAUSE_SAMPLE_INTERVALS * step, step, dt)
    return np.concatenate([[t[0]], t[0] + np.cumsum(dt)])


def link_detections(
    times_s: np.ndarray,
    detections: list[np.ndarray],
    max_distance_box_heights: float,
    max_gap_s: float,
) -> np.ndarray:
    """Link per-frame detections into tracks (optimal assignment on centre distance).

    A detection continues a track when its centre is within ``max_distance_box_heights``
    (in units of the two boxes' mean height) of the track's last box, their heights differ by
    less than a factor of 1.5, and the track was last seen at most ``max_gap_s`` before.
    Otherwise it starts a new track. Time the video did not film (a pause in the recording,
    ``without_pauses``) does not count towards ``max_gap_s``.

    Parameters
    ----------
    times_s : ndarray, shape (K,)
        Times of the sampled frames, s, increasing.
    detections : list of K ndarrays, shape (n_k, 4 or 6)
        Boxes (x0, y0, x1, y1) found in each sampled frame, pixels, or detections.
    max_distance_box_heights : float
        Largest centre distance between linked boxes, box heights.
    max_gap_s : float
        Longest time a track may go undetected, s.

    Returns
    -------
    ndarray, shape (n_tracks, K, 6)
        Detections of each track per sampled frame; NaN where the track was not detected.
    """
    n_samples = len(times_s)
    filmed_s = without_pauses(times_s)
    tracks: list[np.ndarray] = []
    last_seen: list[int] = []
    for k, boxes in enumerate(detections):
        boxes = as_detections(boxes)
        alive = [
            i for i, s in enumerate(last_seen) if filmed_s[k] - filmed_s[s] <= max_gap_s + 1e-9
        ]
        assigned: set[int] = set()
        if alive and len(boxes):
            prev = np.stack([tracks[i][last_seen[i]] for i in alive])
            mean_h = (_heights(prev)[:, None] + _heights(boxes)[None, :]) / 2
            dist = np.linalg.norm(_centres(prev)[:, None] - _centres(boxes)[None, :], axis=2)
            dist = dist / np.maximum(mean_h, 1e-9)
            ratio = _heights(prev)[:, None] / np.maximum(_heights(boxes)[None, :], 1e-9)
            ok = (dist <= max_distance_box_heights) & (ratio < 1.5) & (ratio > 1 / 1.5)
            rows, cols = linear_sum_assignment(np.where(ok, dist, 1e6))
            for r, c in zip(rows, cols):
                if ok[r, c]:
                    i = alive[r]
                    tracks[i][k] = boxes[c]
                    last_seen[i] = k
                    assigned.add(int(c))
        for c in range(len(boxes)):
            if c not in assigned:
                track = np.full((n_samples, DETECTION_COLUMNS), np.nan)
                track[k] = boxes[c]
                tracks.append(track)
                last_seen.append(k)
    if not tracks:
        return np.empty((0, n_samples, DETECTION_COLUMNS))
    return np.stack(tracks)


def _range(values: np.ndarray, min_samples: int) -> np.ndarray:
    """10th-90th percentile range along the last axis, ignoring NaN; 0 with too few values."""
    enough = (~np.isnan(values)).sum(axis=-1) >= min_samples
    filled = np.where(enough[..., None], values, 0.0)
    with np.errstate(invalid="ignore"):
        spread = np.nanpercentile(filled, 90, axis=-1) - np.nanpercentile(filled, 10, axis=-1)
    return np.where(enough, np.nan_to_num(spread), 0.0)


def track_motion(tracks: np.ndarray, min_samples: int = 3) -> np.ndarray:
    """How clearly each track walks: the largest of three movements, box heights.

    - across the picture: the 10th-90th percentile range of the box centre x over the median
      box height;
    - towards or away from the camera: the same range of ln(box height) less ln(1.2), the
      boxes' own jitter (walking from 6 m to 3 m doubles the height and reads 0.51);
    - stepping in place: the ranges of the ankle gap's |dx| and |dy| (box heights) added;
      stepping in a side view opens the gap by about 0.3, lifting the feet in a frontal view
      by about 0.1.

    A person standing still reads near 0 on all three (detector jitter).

    Parameters
    ----------
    tracks : ndarray, shape (n_tracks, K, 4 or 6)
        From ``link_detections``; NaN where unseen (and ankle gaps NaN where not measured).
    min_samples : int
        Tracks (or ankle gaps) seen in fewer samples read 0.

    Returns
    -------
    ndarray, shape (n_tracks,)
        Movement, box heights (ln units for the size change), >= 0.
    """
    if len(tracks) == 0:
        return np.empty(0)
    tracks = np.asarray(tracks, dtype=float)
    heights = _heights(tracks)
    with np.errstate(invalid="ignore", divide="ignore"):
        median_h = np.nanmedian(np.where(heights > 0, heights, np.nan), axis=1)
        across = _range(_centres(tracks)[..., 0], min_samples) / median_h
        towards = _range(np.log(np.where(heights > 0, heights, np.nan)), min_samples)
    towards = np.clip(towards - _SIZE_JITTER_LN, 0.0, None)
    stepping = np.zeros(len(tracks))
    if tracks.shape[2] >= DETECTION_COLUMNS:
        stepping = _range(tracks[..., 4], min_samples) + _range(tracks[..., 5], min_samples)
    return np.nan_to_num(np.maximum.reduce([across, towards, stepping]))


def hidden_behind(tracks: np.ndarray) -> np.ndarray:
    """Samples in which a track is hidden behind another person.

    A track unseen between two of its sightings is hidden where its box centre, interpolated
    between the sightings, lies inside another track's box (someone walking past behind a
    person nearer the camera).

    Parameters
    ----------
    tracks : ndarray, shape (n_tracks, K, 4 or 6)
        From ``link_detections``; NaN where unseen.

    Returns
    -------
    ndarray of bool, shape (n_tracks, K)
    """
    boxes = np.asarray(tracks, dtype=float)[..., :4]
    seen = ~np.isnan(boxes).any(axis=2)
    centres = _centres(boxes)
    k = np.arange(boxes.shape[1])
    hidden = np.zeros_like(seen)
    if len(boxes) < 2:
        return hidden
    for i in range(len(boxes)):
        sightings = np.flatnonzero(seen[i])
        if len(sightings) < 2:
            continue
        gap = ~seen[i] & (k > sightings[0]) & (k < sightings[-1])
        cx = np.interp(k[gap], sightings, centres[i, sightings, 0])
        cy = np.interp(k[gap], sightings, centres[i, sightings, 1])
        others = np.delete(boxes, i, axis=0)[:, gap]
        hidden[i, gap] = _contains(others, cx, cy).any(axis=0)
    return hidden


def score_tracks(
    tracks: np.ndarray,
    width_px: int,
    weights: tuple[float, float, float, float] = (0.5, 0.3, 0.2, 0.25),
    walking_box_heights: float = 0.2,
) -> np.ndarray:
    """Subject score of each track: persistent, large, central and walking wins.

    ``score = w_p * seen_fraction + w_s * median_height / max_median_height
    + w_c * (1 - |median_centre_x - W/2| / (W/2))
    + w_w * min(1, track_motion / walking_box_heights)``.

    Parameters
    ----------
    tracks : ndarray, shape (n_tracks, K, 4 or 6)
        From ``link_detections``; NaN where unseen.
    width_px : int
        Frame width W, pixels.
    weights : tuple of float
        (w_p, w_s, w_c, w_w): weights of persistence, size, centrality and walking.
    walking_box_heights : float
        Movement (``track_motion``) that counts as walking in full, box heights.

    Returns
    -------
    ndarray, shape (n_tracks,)
        Scores; higher is more likely the subject.
    """
    if len(tracks) == 0:
        return np.empty(0)
    boxes = np.asarray(tracks, dtype=float)[..., :4]
    seen = ~np.isnan(boxes).any(axis=2)
    persistence = (seen | hidden_behind(boxes)).mean(axis=1)
    heights = np.nanmedian(_heights(boxes), axis=1)
    size = heights / np.max(heights)
    centre_x = np.nanmedian(_centres(boxes)[..., 0], axis=1)
    centrality = np.clip(1.0 - np.abs(centre_x - width_px / 2) / (width_px / 2), 0.0, 1.0)
    walking = np.clip(track_motion(tracks) / walking_box_heights, 0.0, 1.0)
    w_p, w_s, w_c, w_w = weights
    return w_p * persistence + w_s * size + w_c * centrality + w_w * walking


def roi_share(tracks: np.ndarray, roi: tuple[int, int, int, int]) -> np.ndarray:
    """Share of sampled frames in which each track's box centre lies inside ``roi``.

    Returns
    -------
    ndarray, shape (n_tracks,)
        In [0, 1]; NaN boxes count as outside.
    """
    c = _centres(tracks)
    return _contains(np.asarray(roi, dtype=float), c[..., 0], c[..., 1]).mean(axis=1)


def choose_subject(
    times_s: np.ndarray,
    detections: list[np.ndarray],
    width_px: int,
    height_px: int,
    cfg: SubjectConfig,
    detectors: Optional[tuple[str, ...]] = None,
) -> Optional[SubjectTrack]:
    """Link detections and choose the subject (see the module docstring).

    Parameters
    ----------
    times_s : ndarray, shape (K,)
        Sampled frame times, s.
    detections : list of K ndarrays, shape (n_k, 4)
        People boxes per sampled frame, full-frame pixels.
    width_px, height_px : int
        Full frame size, pixels.
    cfg : SubjectConfig
        Linking, scoring and ROI settings.
    detectors : tuple of str, optional
        Detectors that ran, for the record; None = ``cfg.detectors``.

    Returns
    -------
    SubjectTrack or None
        None when nobody was detected and no ROI was given.
    """
    times_s = np.asarray(times_s, dtype=float)
    if len(times_s) == 0:
        times_s, detections = np.zeros(1), [np.empty((0, 4))]
    tracks = link_detections(
        times_s, detections, cfg.link_max_distance_box_heights, cfg.max_gap_s
    )
    n_seen = (~np.isnan(tracks[..., :4]).any(axis=2)).sum(axis=1)
    people = int((n_seen >= min(cfg.min_track_samples, len(times_s))).sum())
    if cfg.roi is not None:
        x0, y0, x1, y1 = cfg.roi
        roi = (x0, y0, min(x1, width_px), min(y1, height_px))
        share = roi_share(tracks, roi)
        if len(share) and share.max() > 0:
            best = int(np.argmax(share + 1e-6 * n_seen))
            method, boxes = "roi", tracks[best, :, :4]
        else:
            method, boxes = "roi-fixed", np.tile(np.asarray(roi, dtype=float), (len(times_s), 1))
    else:
        if len(tracks) == 0:
            return None
        weights = (
            cfg.persistence_weight, cfg.size_weight, cfg.centrality_weight, cfg.walking_weight
        )
        scores = score_tracks(tracks, width_px, weights, cfg.walking_box_heights)
        best = int(np.argmax(scores))
        method, boxes = "detected", tracks[best, :, :4]
    return SubjectTrack(
        times_s=times_s,
        boxes_px=boxes,
        people_seen=people,
        method=method,
        width_px=width_px,
        height_px=height_px,
        detectors=tuple(cfg.detectors) if detectors is None else detectors,
    )


def crop_boxes(
    track: SubjectTrack,
    times_s: np.ndarray,
    margin_box_heights: float,
    window_s: float,
) -> np.ndarray:
    """Integer crop regions around the subject for pose tracking.

    The crop is the subject's box grown by ``margin_box_heights`` box heights on every side;
    its size is the largest grown box within ``window_s`` around each sample (so it stays
    stable over short windows) and follows the box centre. It is shifted (not shrunk) to stay
    inside the frame, and only shrunk when larger than the frame.

    Parameters
    ----------
    track : SubjectTrack
        The subject.
    times_s : ndarray, shape (N,)
        Frame times, s.
    margin_box_heights : float
        Margin per side, box heights.
    window_s : float
        Width of the window over which the crop size is the largest, s.

    Returns
    -------
    ndarray of int, shape (N, 4)
        (x0, y0, x1, y1) in full-frame pixels, x1 and y1 exclusive.
    """
    seen = ~np.isnan(track.boxes_px).any(axis=1)
    ts, boxes = track.times_s[seen], track.boxes_px[seen]
    h = _heights(boxes)
    size = np.stack([boxes[:, 2] - boxes[:, 0] + 2 * margin_box_heights * h,
                     h * (1 + 2 * margin_box_heights)], axis=1)
    near = np.abs(ts[:, None] - ts[None, :]) <= window_s / 2
    size = np.stack([np.where(near, size[None, :, j], 0).max(axis=1) for j in range(2)], axis=1)
    t = np.atleast_1d(np.asarray(times_s, dtype=float))
    centre = _centres(track.boxes_at(t))
    frame = np.array([track.width_px, track.height_px], dtype=float)
    wh = np.stack([np.interp(t, ts, size[:, j]) for j in range(2)], axis=1)
    wh = np.clip(np.round(wh), 16, frame)
    lo = np.clip(np.round(centre - wh / 2), 0, frame - wh)
    hi = lo + wh
    return np.concatenate([lo, hi], axis=1).astype(int)


def off_track(
    hip_xy_px: np.ndarray, boxes_px: np.ndarray, max_distance_box_heights: float
) -> np.ndarray:
    """Frames whose tracked body is far from the subject's box.

    Parameters
    ----------
    hip_xy_px : ndarray, shape (T, 2)
        Mid-hip position per frame, full-frame pixels; NaN where no body was found.
    boxes_px : ndarray, shape (T, 4)
        Subject box per frame, full-frame pixels.
    max_distance_box_heights : float
        Largest allowed distance of the mid-hip from the box centre, box heights.

    Returns
    -------
    ndarray of bool, shape (T,)
        True where the body is farther than allowed (False where no body was found).
    """
    dist = np.linalg.norm(hip_xy_px - _centres(boxes_px), axis=1)
    with np.errstate(invalid="ignore"):
        return dist > max_distance_box_heights * np.maximum(_heights(boxes_px), 1.0)


# --- detection on sampled frames --------------------------------------------------------


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
    limits = [w_px, h_px, w_px, h_px]
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
        box = np.clip(person[:4], 0, limits)  # joints predicted off the image
        found.append(np.concatenate([box, person[4:]]))
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
            try:
                import mediapipe as mp
            except ImportError as exc:  # pragma: no cover - install problem
                raise PoseError(f"mediapipe is not installed or failed to import: {exc}") from exc
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


def one_person(times_s: np.ndarray, boxes: list[np.ndarray], cfg: SubjectConfig) -> bool:
    """True when no sample shows two people and the boxes link into exactly one track."""
    if any(len(b) > 1 for b in boxes):
        return False
    tracks = link_detections(
        np.asarray(times_s, dtype=float), boxes, cfg.link_max_distance_box_heights,
        cfg.max_gap_s,
    )
    return len(tracks) == 1


def screens(cfg: SubjectConfig) -> bool:
    """True when MediaPipe screens the samples before the other detectors run."""
    return cfg.screen_first and "mediapipe" in cfg.detectors


def detect_frames(
    times_s: np.ndarray,
    frames: list[np.ndarray],
    width: int,
    height: int,
    cfg: SubjectConfig,
    mediapipe_boxes: Optional[list[np.ndarray]] = None,
) -> Detections:
    """People on sampled frames with the configured detectors.

    With ``cfg.screen_first`` MediaPipe runs first (``screen_frames``; or its boxes are
    given); when it finds one person who links into one track (``one_person``) the other
    detectors are skipped, otherwise they run on every sample and all are merged.

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
    mediapipe_boxes : list of K ndarrays, optional
        ``screen_frames`` output already made (e.g. by the tracking pass).
    """
    times_s = np.asarray(times_s, dtype=float)
    names = tuple(cfg.detectors)
    found: dict[str, list[np.ndarray]] = {}
    detector = PeopleDetector(cfg)
    try:
        if screens(cfg):
            found["mediapipe"] = (
                screen_frames(frames, detector, width, height)
                if mediapipe_boxes is None else mediapipe_boxes
            )
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


def detect_people(meta: VideoMeta, cfg: SubjectConfig) -> Detections:
    """Detect people in sparsely sampled frames (a decoding pass of its own).

    Parameters
    ----------
    meta : VideoMeta
        The video (from ``probe_video``).
    cfg : SubjectConfig
        Sampling and detector settings (see ``detect_frames``).
    """
    stride = sample_stride(meta.fps, meta.frame_count, cfg.sample_rate_hz, cfg.max_samples)
    times: list[float] = []
    frames: list[np.ndarray] = []
    for _, t_s, frame in iter_frames(meta, stride=stride, max_side_px=cfg.detect_max_side_px):
        times.append(t_s)
        frames.append(frame)
    return detect_frames(np.asarray(times, dtype=float), frames, meta.width, meta.height, cfg)


def select_subject(
    meta: VideoMeta,
    cfg: SubjectConfig = SubjectConfig(),
    detections: Optional[Detections] = None,
) -> Optional[SubjectTrack]:
    """Choose the person of interest from the whole clip.

    Parameters
    ----------
    meta : VideoMeta
        The video (from ``probe_video``).
    cfg : SubjectConfig
        Settings; ``cfg.roi`` overrides the automatic choice.
    detections : Detections, optional
        Detections already made on the sampled frames (e.g. during the tracking pass, see
        ``posescore.pose``); None = sample and detect now (one decoding pass).

    Returns
    -------
    SubjectTrack or None
        None when selection is disabled, or nobody was detected and no ROI was given.
        ``needs_crop`` is False when one person was found automatically.
    """
    if not cfg.enabled:
        return None
    found = detect_people(meta, cfg) if detections is None else detections
    track = choose_subject(
        found.times_s, found.boxes, meta.width, meta.height, cfg, found.detectors
    )
    n_samples = len(found.times_s)
    if track is None:
        logger.info("subject selection: nobody detected in %d sampled frames", n_samples)
    else:
        logger.info(
            "subject selection: %d people seen in %d sampled frames (%s), method %s",
            track.people_seen, n_samples, "+".join(found.detectors), track.method,
        )
    return track
