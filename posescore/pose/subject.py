"""Choosing the person of interest in a video with several people.

MediaPipe Pose tracks one person and may jump to a bystander. Scoring is offline, so the
subject is chosen from the whole clip first: frames are sampled sparsely, people are detected
in them, detections are linked across samples into tracks, and the track with the highest
score is the subject. Detection is screened (``SubjectConfig.screen_first``): MediaPipe Pose
in static mode runs first, repeated with each found person masked out (during the tracking
pass the tracked person is taken as the first one found, which saves a search); OpenCV's
built-in HOG people detector runs only when MediaPipe does not show exactly one person whose
boxes link into one track; after a tracking pass that stayed on one walker at every sample,
nothing is screened (``people.tracked_one_walker``). The score is

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
body is far from it (``off_track``). Detectors are in ``people``, linking and scoring in
``linking``, box maths (and the layout of a detection) in ``boxes``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from posescore.config import SubjectConfig
from posescore.pose.boxes import box_centres, box_heights
from posescore.pose.linking import link_detections, roi_share, score_tracks
from posescore.pose.people import Detections, detect_people
from posescore.types import VideoMeta
from posescore.video import FrameSource

logger = logging.getLogger(__name__)


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
    h = box_heights(boxes)
    size = np.stack([boxes[:, 2] - boxes[:, 0] + 2 * margin_box_heights * h,
                     h * (1 + 2 * margin_box_heights)], axis=1)
    near = np.abs(ts[:, None] - ts[None, :]) <= window_s / 2
    size = np.stack([np.where(near, size[None, :, j], 0).max(axis=1) for j in range(2)], axis=1)
    t = np.atleast_1d(np.asarray(times_s, dtype=float))
    centre = box_centres(track.boxes_at(t))
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
    dist = np.linalg.norm(hip_xy_px - box_centres(boxes_px), axis=1)
    with np.errstate(invalid="ignore"):
        return dist > max_distance_box_heights * np.maximum(box_heights(boxes_px), 1.0)


def select_subject(
    meta: VideoMeta,
    cfg: SubjectConfig = SubjectConfig(),
    detections: Optional[Detections] = None,
    source: Optional[FrameSource] = None,
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
        ``posescore.pose.extract``); None = sample and detect now (one decoding pass).
    source : FrameSource, optional
        The video's frame source for that pass (``people.detect_people``).

    Returns
    -------
    SubjectTrack or None
        None when selection is disabled, or nobody was detected and no ROI was given.
        ``needs_crop`` is False when one person was found automatically.
    """
    if not cfg.enabled:
        return None
    found = detect_people(meta, cfg, source) if detections is None else detections
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
