"""People found on sampled frames linked into tracks, and the tracks scored as the subject.

``link_detections`` links detections across samples; ``track_motion``, ``hidden_behind``,
``score_tracks`` and ``roi_share`` measure the tracks (see ``subject`` for the score).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from posescore.pose.boxes import (
    DETECTION_COLUMNS,
    as_detections,
    box_centres,
    box_contains,
    box_heights,
)

_SIZE_JITTER_LN = float(np.log(1.2))
"""One still person's boxes differ in height by up to about 20 % (HOG's pyramid steps, HOG
against MediaPipe boxes); size changes within this do not count as walking towards the camera."""


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
            mean_h = (box_heights(prev)[:, None] + box_heights(boxes)[None, :]) / 2
            dist = np.linalg.norm(box_centres(prev)[:, None] - box_centres(boxes)[None, :], axis=2)
            dist = dist / np.maximum(mean_h, 1e-9)
            ratio = box_heights(prev)[:, None] / np.maximum(box_heights(boxes)[None, :], 1e-9)
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
    heights = box_heights(tracks)
    with np.errstate(invalid="ignore", divide="ignore"):
        median_h = np.nanmedian(np.where(heights > 0, heights, np.nan), axis=1)
        across = _range(box_centres(tracks)[..., 0], min_samples) / median_h
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
    centres = box_centres(boxes)
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
        hidden[i, gap] = box_contains(others, cx, cy).any(axis=0)
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
    heights = np.nanmedian(box_heights(boxes), axis=1)
    size = heights / np.max(heights)
    centre_x = np.nanmedian(box_centres(boxes)[..., 0], axis=1)
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
    c = box_centres(tracks)
    return box_contains(np.asarray(roi, dtype=float), c[..., 0], c[..., 1]).mean(axis=1)
