"""Overlay video: skeleton and foot landmarks drawn on the frames, flags as text, faces blurred.

De-identification, two nets. The subject: the face box comes from MediaPipe face landmarks
0-10 (nose, eyes, ears, mouth), padded generously (hair, chin) and scaled by the torso length
so that a side view, where the face landmarks bunch together, still covers the whole head. In
a frame without a pose the nearest known face box (earlier, else later) is blurred; if the
clip never had a pose, the top of the subject's box (or the top third of the frame) is
blurred. Everyone, bystanders included: MediaPipe face detection finds faces
(``posescore.faces``: every other frame, on the whole frame and on overlapping tiles, boxes
grown to the head and held 0.3 s either side, growing, so that detector flicker never shows a
face), and those boxes and the subject's are blurred, in one decoding pass: a frame is
written 0.3 s after it is decoded, once the faces held at it are all found.
Blurring is pixelation (blocks of ``1/8`` of the box) followed by a strong Gaussian blur,
before anything is drawn. Residual risk: a bystander's face the detector never finds (e.g. a
face a few pixels high, or turned away for long) stays sharp. The pose screening's people
(``posescore.pose.subject``) are not a second net: they are sampled at 3 Hz at most, are not kept
after the pose stage, and MediaPipe Pose missed the phantom's bystanders in most samples.
"""

from __future__ import annotations

import logging
import warnings
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import cv2
import numpy as np

from posescore.constants import (
    FACE_LANDMARKS,
    LEFT_HIP,
    LEFT_SHOULDER,
    LEG_LANDMARKS,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    SIDES,
)
from posescore.errors import VideoError
from posescore.faces import HOLD_GROW_PER_S, find_faces, held_boxes, hold_frames
from posescore.signals.labels import swap_legs
from posescore.types import PoseSequence, VideoMeta
from posescore.video import iter_frames, probe_video

logger = logging.getLogger(__name__)

SIDE_BGR = {"left": (255, 128, 0), "right": (0, 0, 230)}
BODY_BGR = (230, 230, 230)
FACE_PAD = 0.75
"""Half-size of the face box as a multiple of the landmarks' extent."""
FACE_MIN_TORSO = 0.55
"""Smallest half-size of the face box, torso lengths (shoulder to hip)."""

_TRUNK = ((LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_HIP, RIGHT_HIP), (LEFT_SHOULDER, LEFT_HIP),
          (RIGHT_SHOULDER, RIGHT_HIP))


def face_boxes(pose: PoseSequence) -> np.ndarray:
    """Face box (x0, y0, x1, y1) in pixels per pose frame, NaN where no pose.

    Parameters
    ----------
    pose : PoseSequence
        Landmarks in pixels, shape (T, 33, 4).

    Returns
    -------
    ndarray, shape (T, 4)
    """
    lm = pose.landmarks
    face = lm[:, list(FACE_LANDMARKS), :2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
        lo = np.nanmin(face, axis=1)
        hi = np.nanmax(face, axis=1)
    centre = 0.5 * (lo + hi)
    extent = np.max(hi - lo, axis=1)
    shoulders = 0.5 * (lm[:, LEFT_SHOULDER, :2] + lm[:, RIGHT_SHOULDER, :2])
    hips = 0.5 * (lm[:, LEFT_HIP, :2] + lm[:, RIGHT_HIP, :2])
    torso = np.linalg.norm(shoulders - hips, axis=1)
    torso = np.where(np.isfinite(torso), torso, extent)
    half = np.fmax(FACE_PAD * extent, FACE_MIN_TORSO * torso)
    half = np.where(np.isfinite(half), half, np.nan)
    return np.stack(
        [centre[:, 0] - half, centre[:, 1] - 1.3 * half, centre[:, 0] + half,
         centre[:, 1] + half], axis=1
    )


def fill_boxes(boxes: np.ndarray) -> np.ndarray:
    """Frames without a box take the last known box, else the next known (safety first)."""
    out = boxes.copy()
    known = np.isfinite(out).all(axis=1)
    if not known.any():
        return out
    idx = np.where(known, np.arange(len(out)), -1)
    idx = np.maximum.accumulate(idx)
    first = int(np.argmax(known))
    idx[idx < 0] = first
    return out[idx]


def fallback_box(pose: PoseSequence, width: int, height: int) -> np.ndarray:
    """Top of the subject's box when known, else the top third of the frame."""
    box = (pose.subject or {}).get("box_median_px")
    if box is not None and len(box) == 4:
        x0, y0, x1, y1 = (float(v) for v in box)
        return np.array([x0, y0, x1, y0 + 0.3 * (y1 - y0)])
    return np.array([0.0, 0.0, float(width), height / 3.0])


def blur_region(frame: np.ndarray, box: np.ndarray) -> None:
    """Pixelate then Gaussian-blur ``box`` of ``frame`` in place."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, x1), min(h, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = frame[y0:y1, x0:x1]
    small = cv2.resize(roi, (8, max(1, round(8 * roi.shape[0] / roi.shape[1]))),
                       interpolation=cv2.INTER_AREA)
    pix = cv2.resize(small, (roi.shape[1], roi.shape[0]), interpolation=cv2.INTER_NEAREST)
    k = max(3, (min(roi.shape[:2]) // 3) | 1)
    frame[y0:y1, x0:x1] = cv2.GaussianBlur(pix, (k, k), 0)


def _pt(lm: np.ndarray, i: int) -> Optional[tuple[int, int]]:
    x, y = lm[i, 0], lm[i, 1]
    return (int(round(x)), int(round(y))) if np.isfinite(x) and np.isfinite(y) else None


def draw_skeleton(frame: np.ndarray, lm: np.ndarray) -> None:
    """Trunk, legs and feet of one frame's landmarks (pixels), in place."""
    scale = max(1, round(min(frame.shape[:2]) / 360))
    for a, b in _TRUNK:
        pa, pb = _pt(lm, a), _pt(lm, b)
        if pa and pb:
            cv2.line(frame, pa, pb, BODY_BGR, 2 * scale, cv2.LINE_AA)
    for side in SIDES:
        j = LEG_LANDMARKS[side]
        colour = SIDE_BGR[side]
        chain = [j["hip"], j["knee"], j["ankle"], j["heel"], j["toe"], j["ankle"]]
        for a, b in zip(chain[:-1], chain[1:]):
            pa, pb = _pt(lm, a), _pt(lm, b)
            if pa and pb:
                cv2.line(frame, pa, pb, colour, 2 * scale, cv2.LINE_AA)
        for name in ("hip", "knee"):
            p = _pt(lm, j[name])
            if p:
                cv2.circle(frame, p, 3 * scale, colour, -1, cv2.LINE_AA)
        for name in ("ankle", "heel", "toe"):  # foot landmarks: larger, ringed
            p = _pt(lm, j[name])
            if p:
                cv2.circle(frame, p, 4 * scale, colour, -1, cv2.LINE_AA)
                cv2.circle(frame, p, 4 * scale + 1, (255, 255, 255), 1, cv2.LINE_AA)


def flag_lines(result: Mapping[str, Any]) -> list[str]:
    """Short text lines: severity per leg and phenomenology flags that are present."""
    lines = []
    for side in SIDES:
        leg = result.get("legs", {}).get(side, {})
        sev = leg.get("severity")
        letter = side[0].upper()
        text = f"{letter} severity {sev:.1f}" if sev is not None else f"{letter} -"
        present = [
            name for name, e in (leg.get("phenomenology") or {}).items()
            if isinstance(e, Mapping) and (e.get("present") or e.get("flag"))
        ]
        if present:
            text += ": " + ", ".join(present[:3])
        lines.append(text)
    model = result.get("model", {})
    if not model.get("clinically_validated", False):
        lines.append("not clinically validated")
    return lines


def _put_lines(frame: np.ndarray, lines: list[str]) -> None:
    scale = max(0.4, min(frame.shape[:2]) / 900)
    y = int(22 * scale / 0.5)
    for line in lines:
        for colour, thick in (((0, 0, 0), 3), ((255, 255, 255), 1)):
            cv2.putText(frame, line, (8, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick,
                        cv2.LINE_AA)
        y += int(20 * scale / 0.5)


def render_overlay(
    video: str | Path | VideoMeta,
    pose: PoseSequence,
    result: Mapping[str, Any],
    out_path: str | Path,
    events: Optional[Mapping[str, Any]] = None,
    annotate: bool = True,
    legs_exchanged: Optional[np.ndarray] = None,
) -> dict[str, int]:
    """Write the overlay video and return frame counts.

    ``out_path`` ending in ``.webm`` is written as VP8 (plays in browsers), else ``mp4v``.

    Parameters
    ----------
    video : path or VideoMeta
        The scored video.
    pose : PoseSequence
        Its pose (``ScoreResult.traces.pose``).
    result : mapping
        The score dict (severity and flags are written on the frames).
    out_path : path
        Output ``.mp4`` or ``.webm``.
    events : mapping, optional
        ``{side: GaitEvents}``: heel strikes are marked on their frames.
    annotate : bool
        Draw the skeleton and text; False writes a de-identified copy only (faces blurred).
    legs_exchanged : ndarray of bool, shape (pose frames,), optional
        Frames whose leg names were exchanged before measuring
        (``Trajectories.legs_exchanged``): the legs are drawn with the names (colours) the
        scores use, not the pose estimator's.

    Returns
    -------
    dict
        ``frames``, ``frames_with_pose``, ``frames_blurred_by_fallback``,
        ``frames_with_faces_found`` (by the face detector, before holding; it searches every
        ``faces.DETECT_EVERY``-th frame).
    """
    meta = video if isinstance(video, VideoMeta) else probe_video(video)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    landmarks = pose.landmarks
    if legs_exchanged is not None and len(legs_exchanged) == pose.n_frames:
        landmarks = swap_legs(landmarks, np.asarray(legs_exchanged, dtype=bool))
    boxes = face_boxes(pose)
    has_pose = pose.detected()
    filled = fill_boxes(boxes)
    fallback = fallback_box(pose, meta.width, meta.height)
    # heel strikes by time: the pose may skip frames (stride) or be re-timed (uneven frames)
    strikes = sorted(
        (float(pose.timestamps_s[i]), side[0].upper())
        for side, ev in (events or {}).items()
        for i in np.asarray(ev.heel_strike_idx, dtype=int)
        if 0 <= i < pose.n_frames
    )
    lines = flag_lines(result)
    fourcc = "VP80" if out.suffix.lower() == ".webm" else "mp4v"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*fourcc), meta.fps,
                             (meta.width, meta.height))
    if not writer.isOpened():
        raise VideoError(f"cannot write video {out.name}")
    stats = {"frames": 0, "frames_with_pose": 0, "frames_blurred_by_fallback": 0,
             "frames_with_faces_found": 0}
    t_prev_s = -np.inf
    frames = _frames_with_faces(meta, stats)
    try:
        for t_s, frame, faces in frames:
            # the pose row in force at this frame: the last at or before its time
            row = int(np.clip(
                np.searchsorted(pose.timestamps_s, t_s + 1e-6, side="right") - 1,
                0, pose.n_frames - 1,
            ))
            marked = [side for t_hs, side in strikes if t_prev_s < t_hs <= t_s + 1e-6]
            t_prev_s = t_s + 1e-6
            frame = np.ascontiguousarray(frame)
            if has_pose[row]:
                stats["frames_with_pose"] += 1
            else:
                stats["frames_blurred_by_fallback"] += 1
            box = filled[row] if np.isfinite(filled[row]).all() else fallback
            blur_region(frame, box)
            for face in faces:
                blur_region(frame, face)
            if annotate:
                if has_pose[row]:
                    draw_skeleton(frame, landmarks[row])
                extra = [f"heel strike {'/'.join(marked)}"] if marked else []
                _put_lines(frame, lines + extra)
            writer.write(frame)
            stats["frames"] += 1
    finally:
        frames.close()
        writer.release()
    logger.debug("overlay: %s", stats)
    return stats


def _frames_with_faces(
    meta: VideoMeta, stats: dict[str, int]
) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
    """(t_s, BGR frame, face boxes held at it) per frame of one decoding pass.

    A frame is given ``faces.hold_frames`` frames after it is decoded, once every box held at
    it is found; ``stats["frames_with_faces_found"]`` counts the frames with faces found.
    """
    waiting: deque[tuple[float, np.ndarray]] = deque()

    def searched() -> Iterator[np.ndarray]:
        for _index, t_s, frame in iter_frames(meta):
            waiting.append((t_s, np.ascontiguousarray(frame)))
            yield waiting[-1][1]

    def noted(found: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for boxes in found:
            stats["frames_with_faces_found"] += len(boxes) > 0
            yield boxes

    found = find_faces(searched())
    try:
        for faces in held_boxes(noted(found), hold_frames(meta.fps), HOLD_GROW_PER_S / meta.fps):
            t_s, frame = waiting.popleft()
            yield t_s, frame, faces
    finally:
        found.close()
