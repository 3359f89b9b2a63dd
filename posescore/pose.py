"""Pose extraction: frames in, ``PoseSequence`` out, cached by video content.

The backend is MediaPipe Pose through the legacy solutions API with ``model_complexity=1``:
the only configuration of mediapipe 0.10.21 whose model ships inside the wheel, so it runs
offline. Everything MediaPipe-specific stays in ``MediaPipePoseBackend``;
another estimator only has to implement ``PoseBackend``.

Speed (``extract_pose_meta``): each frame is decoded once. The probe reads the header and
frame 0 only; the tracking pass counts the frames (``video.counted_meta``) and keeps the
subject-selection samples, downscaled (``SubjectConfig.single_pass``); as it goes, MediaPipe
screens them in a thread of its own with the tracked person as the first one found, and the
other detectors run only when that does not show one consistent person
(``SubjectConfig.screen_first``); a second pass with crops runs only when several people
call for one. Decoding, the whole-factor downscale and the one colour conversion run in a
background thread (``video.prefetch``) while MediaPipe infers;
``PoseConfig.chunks`` splits a long video into chunks tracked from fresh graphs, in
``chunk_processes`` processes at once (the same pose either way). A cached re-score reads the
pose and the remembered probe (``lookup_meta``): no hashing, no decoding.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Optional, Protocol

import cv2
import numpy as np

from posescore.config import PoseConfig, Settings, SubjectConfig
from posescore.constants import LEFT_ANKLE, LEFT_HIP, N_LANDMARKS, RIGHT_ANKLE, RIGHT_HIP
from posescore.contract.notices import Notice, NoticeCode
from posescore.errors import PoseError
from posescore.signals import finite_runs, trunk_angle_deg
from posescore.subject import (
    PeopleDetector,
    SubjectTrack,
    crop_boxes,
    detect_frames,
    landmark_detections,
    off_track,
    sample_stride,
    screen_frames,
    screens,
    select_subject,
)
from posescore.types import PoseSequence, VideoMeta
from posescore.video import (
    READER_VERSION,
    VideoReader,
    counted_meta,
    prefetch,
    probe_video,
)

logger = logging.getLogger(__name__)

CACHE_FORMAT = 2
META_FORMAT = 4
"""Version of the remembered probe results (``remember_meta``; 3: the picture's luminance
is kept; 4: warnings are notices): older ones are probed again."""
ProgressCallback = Callable[[int, int], None]


class PoseBackend(Protocol):
    """A pose estimator that tracks one person through consecutive frames."""

    name: str

    def process(self, frame_rgb: np.ndarray) -> Optional[np.ndarray]:
        """Return (33, 4) normalised x, y, z, visibility, or None when no body is found."""

    def reset(self) -> None:
        """Forget the tracking state: the next frame starts a new track."""

    def close(self) -> None:
        """Release the estimator."""


class MediaPipePoseBackend:
    """MediaPipe Pose (BlazePose GHUM full, bundled in mediapipe 0.10.21), video mode."""

    def __init__(self, cfg: PoseConfig) -> None:
        try:
            import mediapipe as mp
        except ImportError as exc:  # pragma: no cover - install problem
            raise PoseError(f"mediapipe is not installed or failed to import: {exc}") from exc
        self.name = f"mediapipe-{mp.__version__}-pose-full"
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=cfg.model_complexity,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=cfg.min_detection_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )

    def process(self, frame_rgb: np.ndarray) -> Optional[np.ndarray]:
        """Run one frame; see ``PoseBackend.process``."""
        result = self._pose.process(frame_rgb)
        if result.pose_landmarks is None:
            return None
        return np.array(
            [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark], dtype=float
        )

    def reset(self) -> None:
        """Restart the graph: tracking and smoothing start afresh, as in a new graph."""
        self._pose.reset()

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self._pose.close()


def extractor_version(cfg: PoseConfig, subject_cfg: SubjectConfig = SubjectConfig()) -> str:
    """Identify everything that changes the pose output, for the cache key.

    Subject selection settings enter as a short hash (``subject=off`` when disabled).
    """
    import mediapipe as mp

    # only when set, so that keys made before the setting existed stay valid
    extra = "" if cfg.max_pose_fps is None else f"|maxfps={cfg.max_pose_fps:g}"
    extra += f"|reader={READER_VERSION}"
    if cfg.downscale_whole_factor:
        extra += "|wholedown"
    if cfg.hold_repeated_frames:
        extra += "|holdrepeats"
    if cfg.backfill_min_gap_s is not None:
        extra += f"|backfill={cfg.backfill_min_gap_s:g}/{cfg.backfill_max_s:g}s"
    if cfg.chunks > 1:
        extra += (
            f"|chunks={cfg.chunks}@{cfg.chunk_overlap_s:g}s>={cfg.chunk_min_s:g}s"
            f"+{cfg.chunk_lead_frames}f"
        )
    if subject_cfg.enabled:
        # single_pass changes the work, not the result: kept out of the key
        dumped = subject_cfg.model_dump_json(exclude={"single_pass"})
        digest = hashlib.sha256(dumped.encode()).hexdigest()[:10]
        subject = f"subject={digest}"
    else:
        subject = "subject=off"
    return (
        f"mediapipe-{mp.__version__}|complexity={cfg.model_complexity}"
        f"|det={cfg.min_detection_confidence}|trk={cfg.min_tracking_confidence}"
        f"|maxside={cfg.max_inference_side_px}|stride={cfg.frame_stride}{extra}|{subject}"
        f"|fmt={CACHE_FORMAT}"
    )


def cache_dir(cfg: PoseConfig) -> Path:
    """Folder of the pose cache: the setting, else $POSESCORE_CACHE, else ~/.cache/posescore."""
    if cfg.cache_dir is not None:
        return Path(cfg.cache_dir)
    env = os.environ.get("POSESCORE_CACHE")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "posescore" / "pose"


def cache_path(
    meta: VideoMeta, cfg: PoseConfig, subject_cfg: SubjectConfig = SubjectConfig()
) -> Path:
    """Cache file for a video's content hash and the extractor version."""
    version = extractor_version(cfg, subject_cfg)
    if meta.turn_deg:  # only when turned, so that the keys of upright videos stay as they were
        version += f"|turn={meta.turn_deg}"
    key = hashlib.sha256(f"{meta.sha256}|{version}".encode()).hexdigest()[:32]
    return cache_dir(cfg) / f"{key}.npz"


def _save_cache(path: Path, seq: PoseSequence) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        landmarks=seq.landmarks,  # float64: a cached re-score equals the first score exactly
        timestamps_s=seq.timestamps_s,
        info=np.array(
            json.dumps(
                {
                    "fps": seq.fps,
                    "width": seq.width,
                    "height": seq.height,
                    "extractor": seq.extractor,
                    "subject": seq.subject,
                }
            )
        ),
    )
    os.replace(tmp, path)  # atomic: a half-written cache file is never read


def _load_cache(path: Path) -> Optional[PoseSequence]:
    try:
        with np.load(path, allow_pickle=False) as data:
            info = json.loads(str(data["info"]))
            return PoseSequence(
                landmarks=data["landmarks"].astype(float),
                timestamps_s=data["timestamps_s"],
                fps=info["fps"],
                width=info["width"],
                height=info["height"],
                extractor=info["extractor"],
                subject=info["subject"],
            )
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("ignoring unreadable pose cache entry (%s)", type(exc).__name__)
        return None


REPEAT_SIDE_PX = 160
"""Long side, pixels, of the shrunk copies compared to find repeated frames."""
REPEAT_MAX_DIFF = 6
"""Largest difference (0-255, any pixel and channel) between the shrunk copies of a frame and
of the last frame the estimator saw for the frame to count as a repeat. Measured with
``cv2.absdiff`` on 160-px copies: of the frames duplicated by ffmpeg's 30 -> 120 fps conversion
(x264), 411 of 540 differ by at most 6 after re-encoding (the rest by up to 13, and are
estimated as before); consecutive frames of 114 walking videos
(phantom clips and samples, 160x120 to 3840x2880, dark, grey, 10-bit, five codecs) by at
least 11."""


class RepeatedFrames:
    """Recognises frames that repeat the last one the pose estimator saw.

    A video converted to a higher frame rate by duplicating frames (30 -> 60 or 120 fps)
    shows each picture several times. MediaPipe, fed the same picture again, keeps refining
    its track and smoothing as if time passed, which changed an affected leg's score from
    2.82 to 2.20 on a sample duplicated to 120 fps. The pose of a repeat is the pose of the
    picture it repeats, so it is held, not estimated again (2.80 on that sample), and the
    estimator runs less. Comparison is against the last estimated frame, so slow changes
    add up and are never held for long.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._last: Optional[np.ndarray] = None

    def repeats(self, frame: np.ndarray) -> bool:
        """True when ``frame`` repeats the last frame for which this returned False."""
        if not self.enabled:
            return False
        h, w = frame.shape[:2]
        k = max(1, -(-max(h, w) // REPEAT_SIDE_PX))
        small = cv2.resize(frame, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
        last, self._last = self._last, small
        if last is not None and last.shape == small.shape:
            if int(cv2.absdiff(small, last).max()) <= REPEAT_MAX_DIFF:
                self._last = last
                return True
        return False


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
    rows: list[np.ndarray] = []
    times: list[float] = []
    missing = np.full((N_LANDMARKS, 4), np.nan)
    repeated = RepeatedFrames(hold_repeats)
    for i, (index, t_s, frame_bgr) in enumerate(frames):
        if repeated.repeats(frame_bgr) and rows:
            rows.append(rows[-1])
        else:
            lm = backend.process(
                frame_bgr if rgb else cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
            )
            rows.append(missing if lm is None else lm * scale)
        times.append(t_s)
        if on_frame is not None:
            on_frame(index, rows[-1])
        if progress is not None:
            progress(i + 1, n_expected)
    if not rows:
        return np.empty((0, N_LANDMARKS, 4)), np.empty(0)
    return np.stack(rows), np.asarray(times)


BACKFILL_LEAD_FRAMES = 5
"""Frames with a body after a gap that the backward track starts on; it must agree there with
the forward track (``BACKFILL_MATCH_LEGLEN``)."""
BACKFILL_MATCH_LEGLEN = 0.2
"""Largest median distance between the backward and forward tracks' leg landmarks on the lead
frames, leg lengths: beyond it the backward track found someone else and is not used."""
BACKFILL_MAX_STEP_LEGLEN = 0.5
"""Largest move of the hip centre between consecutive backward-tracked frames, leg lengths
(a walker's hips move some 0.05 per frame at 30 frames/s): a larger one is a jump to
someone else, and the gap is filled only up to it."""
_LEG_ROWS = slice(LEFT_HIP, N_LANDMARKS)  # hips, knees, ankles, heels, feet


def gaps_to_backfill(found: np.ndarray, min_frames: int, max_frames: int) -> list[tuple[int, int]]:
    """Frames [start, stop) without a body to track again backwards from frame ``stop``.

    Every run of at least ``min_frames`` frames without a body that a frame with one ends
    (so not a run at the end of the clip), cut to its last ``max_frames`` frames.
    """
    found = np.asarray(found, dtype=bool)
    return [
        (max(start, stop - max_frames), stop)
        for start, stop in finite_runs(~found)
        if stop < found.size and stop - start >= max(min_frames, 1)
    ]


def same_person(a: np.ndarray, b: np.ndarray, max_leglen: float = BACKFILL_MATCH_LEGLEN) -> bool:
    """Whether two tracks (K, 33, >=2) of the same frames, px, show the same legs.

    True when the median distance between their leg landmarks is at most ``max_leglen``
    leg lengths (hip to ankle of ``b``); False when either track has no body there.
    """
    apart_px = np.linalg.norm(a[:, _LEG_ROWS, :2] - b[:, _LEG_ROWS, :2], axis=-1).ravel()
    apart_px = apart_px[np.isfinite(apart_px)]
    leg = _leg_length_px(b)
    if not (apart_px.size and leg > 0):  # NaN leg: no body in b
        return False
    return float(np.median(apart_px)) <= max_leglen * leg


def backfill_gaps(
    landmarks: np.ndarray,
    times_s: np.ndarray,
    read_frames: Callable[[int, int], list[tuple[int, float, np.ndarray]]],
    backend: PoseBackend,
    width: int,
    height: int,
    min_frames: int,
    max_frames: int,
    hold_repeats: bool = False,
) -> tuple[np.ndarray, int]:
    """Track stretches without a body again, backwards from the body found after each.

    MediaPipe finds a person with a detector that sees the whole frame at 224 px, then
    tracks them from their last landmarks at the person's own scale. Someone far down a
    corridor, or entering the picture, is missed until near or whole, although the tracker
    could follow them: a walker approaching a 1280 x 720 camera from 10 m was found in 50-66 %
    of the frames of phantom clips, in all of them tracked backwards from the first found
    frame (ankle error 3 px on a 79 px leg). For each gap (``gaps_to_backfill``) a fresh
    track starts on up to ``BACKFILL_LEAD_FRAMES`` frames with a body after it and runs back
    through the gap; it fills the gap from its end for as long as it holds the body, and only
    when it agrees with the forward track on those lead frames (``same_person``).

    Parameters
    ----------
    landmarks : ndarray, shape (T, 33, 4)
        Forward track, px (``track_frames``); NaN rows without a body.
    times_s : ndarray, shape (T,)
        Its frame times, s.
    read_frames : callable
        ``read_frames(first, last)``: the inference frames ``(index, t_s, rgb)`` of pose rows
        ``first`` to ``last`` inclusive, in order.
    backend, width, height, hold_repeats
        As for ``track_frames``; the backend is reset before each gap.
    min_frames, max_frames : int
        Shortest gap tracked again, and the most frames of one gap, frames.

    Returns
    -------
    landmarks : ndarray, shape (T, 33, 4)
        A copy with the gaps filled where the backward track held the body.
    n_filled : int
        Rows filled.
    """
    out = np.array(landmarks, dtype=float, copy=True)
    found = np.isfinite(out[:, :, 0]).any(axis=1)
    n_filled = 0
    for start, stop in gaps_to_backfill(found, min_frames, max_frames):
        lead = stop
        while lead < found.size and found[lead] and lead - stop < BACKFILL_LEAD_FRAMES:
            lead += 1
        frames = read_frames(start, lead - 1)
        if not frames:
            continue
        backend.reset()
        lm_back, t_back = track_frames(
            iter(frames[::-1]), backend, width, height, rgb=True, hold_repeats=hold_repeats
        )
        rows = np.clip(np.searchsorted(times_s, t_back), 0, found.size - 1)
        matched = np.isclose(times_s[rows], t_back, rtol=0.0, atol=1e-6)
        back = np.full_like(out, np.nan)
        back[rows[matched]] = lm_back[matched]
        if not same_person(back[stop:lead], out[stop:lead]):
            logger.info("backward track of frames %d-%d left the subject: not used", start, stop)
            continue
        leg_px = _leg_length_px(out[stop:lead])
        row = stop - 1
        while row >= start and np.isfinite(back[row, :, 0]).any():
            step_px = np.linalg.norm(_hip_centre(back[row]) - _hip_centre(back[row + 1]))
            if not step_px <= BACKFILL_MAX_STEP_LEGLEN * leg_px:
                break  # the track jumped (to someone else): keep what came before
            out[row] = back[row]
            row -= 1
            n_filled += 1
    return out, n_filled


def _hip_centre(row: np.ndarray) -> np.ndarray:
    return 0.5 * (row[LEFT_HIP, :2] + row[RIGHT_HIP, :2])


def _leg_length_px(rows: np.ndarray) -> float:
    """Median hip-to-ankle distance over rows (K, 33, >=2), px; NaN without one."""
    leg_px = np.linalg.norm(
        rows[:, [LEFT_HIP, RIGHT_HIP], :2] - rows[:, [LEFT_ANKLE, RIGHT_ANKLE], :2], axis=-1
    ).ravel()
    leg_px = leg_px[np.isfinite(leg_px)]
    return float(np.median(leg_px)) if leg_px.size else float("nan")


BACKFILL_MAX_MB = 512
"""Most memory the frames of one backfilled gap may take at inference size, MiB (with
``PoseConfig.backfill_max_s``, whichever allows fewer frames)."""


def _backfill(
    meta: VideoMeta,
    settings: Settings,
    stride: int,
    landmarks: np.ndarray,
    times_s: np.ndarray,
    backend: PoseBackend,
) -> tuple[np.ndarray, int]:
    """``backfill_gaps`` on the video's frames, as ``PoseConfig.backfill_*`` ask (one decode)."""
    cfg = settings.pose
    fps = meta.fps / stride
    scale = min(1.0, cfg.max_inference_side_px / max(meta.width, meta.height))
    frame_bytes = 3 * meta.width * meta.height * scale**2  # at most, at inference size
    min_frames = max(1, math.ceil(cfg.backfill_min_gap_s * fps - 1e-9))
    max_frames = max(1, min(
        int(cfg.backfill_max_s * fps), int(BACKFILL_MAX_MB * 2**20 / frame_bytes)
    ))
    gaps = gaps_to_backfill(np.isfinite(landmarks[:, :, 0]).any(axis=1), min_frames, max_frames)
    if not gaps:
        return landmarks, 0
    with VideoReader(meta, settings.video) as reader:
        first = gaps[0][0] * stride  # rows never come before their frame index x stride
        frames = _inference_frames(
            reader, stride, cfg.max_inference_side_px, None, cfg.downscale_whole_factor,
            warm_start=first, start=first,
        )
        cursor = _FrameCursor(frames)
        try:
            return backfill_gaps(
                landmarks, times_s,
                lambda a, b: cursor.take(times_s[a] - 1e-6, times_s[b] + 1e-6),
                backend, meta.width, meta.height, min_frames, max_frames,
                cfg.hold_repeated_frames,
            )
        finally:
            frames.close()


class _FrameCursor:
    """Frames of one forward decoding pass, handed out by increasing time windows."""

    def __init__(self, frames: Iterator[tuple[int, float, np.ndarray]]) -> None:
        self._frames = frames
        self._held: Optional[tuple[int, float, np.ndarray]] = None

    def take(self, lo_s: float, hi_s: float) -> list[tuple[int, float, np.ndarray]]:
        """The frames with times in [lo_s, hi_s]; earlier ones are skipped, later ones kept."""
        out = []
        while True:
            item, self._held = self._held or next(self._frames, None), None
            if item is None:
                return out
            if item[1] > hi_s:
                self._held = item
                return out
            if item[1] >= lo_s:
                out.append(item)


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
    rows: list[np.ndarray] = []
    times: list[float] = []
    missing = np.full((N_LANDMARKS, 4), np.nan)
    repeated = RepeatedFrames(hold_repeats)
    for i, (_, t_s, frame_bgr) in enumerate(frames):
        if repeated.repeats(frame_bgr) and rows:
            rows.append(rows[-1])
            times.append(t_s)
            if progress is not None:
                progress(i + 1, n_expected)
            continue
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
            rows.append(missing)
        else:
            w_px, h_px = x1 - x0, y1 - y0
            rows.append(lm * np.array([w_px, h_px, w_px, 1.0]) + np.array([x0, y0, 0.0, 0.0]))
        times.append(t_s)
        if progress is not None:
            progress(i + 1, n_expected)
    if not rows:
        return np.empty((0, N_LANDMARKS, 4)), np.empty(0), 0
    landmarks, times_s = np.stack(rows), np.asarray(times)
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


# --------------------------------------------------------------------------- meta index


def _meta_index_path(path: Path, settings: Settings) -> Optional[Path]:
    """Index file of a video's probe result, keyed by its identity on disk (not content)."""
    try:
        resolved = path.resolve()
        st = resolved.stat()
    except OSError:
        return None
    ident = (
        f"{resolved}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}"
        f"|{settings.video.model_dump_json()}|reader={READER_VERSION}|meta={META_FORMAT}"
    )
    key = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return cache_dir(settings.pose) / "meta" / f"{key}.json"


def lookup_meta(path: str | Path, settings: Settings) -> Optional[VideoMeta]:
    """The remembered ``VideoMeta`` (frames counted, SHA-256) of an unchanged file, or None.

    See ``PoseConfig.meta_index`` for the trade-off: the key is (path, size, mtime_ns,
    ctime_ns, inode), so an unchanged file is neither hashed nor decoded again.
    """
    if not (settings.pose.meta_index and settings.pose.use_cache):
        return None
    index = _meta_index_path(Path(path), settings)
    if index is None or not index.exists():
        return None
    try:
        data = json.loads(index.read_text())
        data["warnings"] = tuple(Notice.model_validate(w) for w in data.get("warnings", ()))
        data["path"] = str(path)
        return VideoMeta(**data)
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("ignoring unreadable meta index entry (%s)", type(exc).__name__)
        return None


def remember_meta(path: str | Path, meta: VideoMeta, settings: Settings) -> None:
    """Store ``meta`` (frames counted) for :func:`lookup_meta`; errors only log."""
    if not (settings.pose.meta_index and settings.pose.use_cache):
        return
    index = _meta_index_path(Path(path), settings)
    if index is None:
        return
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        tmp = index.with_name(f".{index.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(meta), default=Notice.to_json))
        os.replace(tmp, index)
    except OSError as exc:
        logger.warning("could not write meta index (%s)", type(exc).__name__)


# --------------------------------------------------------------------------- one pass


@dataclass
class _Samples:
    """Frames sampled for subject selection during the tracking pass (at most max_samples).

    ``frames`` are downscaled to ``max_side_px``; ``mediapipe`` holds the screening's boxes
    (``subject.screen_frames``, full-frame pixels) when the pass screened them.
    """

    stride: int
    max_side_px: int
    indices: list[int] = field(default_factory=list)
    times_s: list[float] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)
    mediapipe: Optional[list[np.ndarray]] = None

    def extend(self, other: _Samples) -> None:
        """Append a later chunk's samples."""
        self.indices += other.indices
        self.times_s += other.times_s
        self.frames += other.frames
        if self.mediapipe is not None and other.mediapipe is not None:
            self.mediapipe += other.mediapipe


def _inference_frames(
    reader: VideoReader,
    stride: int,
    max_side_px: int,
    samples: Optional[_Samples],
    whole_factor: bool = False,
    warm_start: int = 0,
    start: int = 0,
    stop: Optional[int] = None,
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Decode once; yield RGB frames for tracking, keep the sampled ones for detection.

    Frames are downscaled before the colour conversion (converted once, at inference
    size). Sampled frames are downscaled from the same decoded frame, so they equal those
    of a sampling pass of their own.
    """
    step = stride if samples is None else math.gcd(stride, samples.stride)
    for index, t_s, raw in reader.frames(stride=step, raw=True, start_frame=warm_start):
        if stop is not None and index >= stop:
            return
        if samples is not None and index % samples.stride == 0 and index >= start:
            samples.indices.append(index)
            samples.times_s.append(t_s)
            samples.frames.append(reader.upright(raw, samples.max_side_px))
        if index % stride == 0:
            frame = reader.upright(raw, max_side_px, whole_factor)
            yield index, t_s, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _chunk_bounds(meta: VideoMeta, cfg: PoseConfig, stride: int) -> list[tuple]:
    """(warm_start, start, stop) frame indices per chunk (``PoseConfig.chunks``).

    A chunk is at least ``chunk_min_s`` long, so short videos are one chunk. The first chunk
    is ``chunk_lead_frames`` inferred frames longer than the others (it starts at once).
    """
    n, overlap = meta.frame_count, math.ceil(cfg.chunk_overlap_s * meta.fps)
    chunks = min(cfg.chunks, max(1, int(n // max(cfg.chunk_min_s * meta.fps, 1))))
    if chunks <= 1:
        return [(0, 0, None)]
    lead = min(cfg.chunk_lead_frames * stride, n // chunks)
    first = (n + (chunks - 1) * lead) / chunks
    edges = [0] + [
        round(first + i * (n - first) / (chunks - 1)) // stride * stride for i in range(chunks)
    ]
    bounds = []
    for i in range(chunks):
        start = edges[i]
        warm = max(0, start - overlap) // stride * stride
        bounds.append((warm, start, None if i == chunks - 1 else edges[i + 1]))
    return bounds


def _run_chunk(
    meta: VideoMeta,
    settings: Settings,
    stride: int,
    bounds: tuple,
    backend: PoseBackend,
    samples: Optional[_Samples],
    n_expected: int = 0,
    progress: Optional[ProgressCallback] = None,
) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """Track frames [start, stop) after warming up from ``warm_start``; drop the warm-up.

    With ``samples``, the sampled frames are kept and, when MediaPipe screens them
    (``subject.screens``), screened as they are tracked (``_Screener``).
    """
    cfg = settings.pose
    warm_start, start, stop = bounds
    screener = None
    if samples is not None and screens(settings.subject):
        screener = _Screener(samples, meta, settings.subject)
    with VideoReader(meta, settings.video) as reader:
        frames = _inference_frames(
            reader, stride, cfg.max_inference_side_px, samples,
            cfg.downscale_whole_factor, warm_start, start, stop,
        )
        fetched = _maybe_prefetch(frames, cfg)
        indexed = _with_index(fetched)
        try:
            landmarks, times = track_frames(
                indexed.frames(), backend, meta.width, meta.height, n_expected=n_expected,
                progress=progress, rgb=True,
                on_frame=None if screener is None else screener.tracked,
                hold_repeats=cfg.hold_repeated_frames,
            )
            if screener is not None:
                samples.mediapipe = screener.finish()
        finally:
            _close(fetched)  # stop the decoding thread before the capture is released
            if screener is not None:
                screener.close()
        n_grabbed, warnings = reader.frames_grabbed, list(reader.warnings)
    keep = np.asarray(indexed.indices, dtype=int) >= start
    if keep.size and not keep.all():
        landmarks, times = landmarks[keep], times[keep]
    return landmarks, times, n_grabbed, warnings


class _Screener:
    """Screens sampled frames in a thread of its own while tracking goes on.

    Each sample is screened (``subject.screen_frames``) once the first frame at or after it
    has been tracked, with the person tracked there as the first one found; MediaPipe's
    static graph then runs beside the tracking graph, on the core decoding leaves free.
    """

    def __init__(self, samples: _Samples, meta: VideoMeta, subject_cfg: SubjectConfig) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._samples, self._meta = samples, meta
        self._detector = PeopleDetector(subject_cfg)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="posescore-screen")
        self._futures: list = []

    def tracked(self, index: int, landmarks_px: np.ndarray) -> None:
        """Screen the samples up to frame ``index``, just tracked (``track_frames`` hook)."""
        samples, k = self._samples, len(self._futures)
        if k < len(samples.indices) and samples.indices[k] <= index:
            prior = landmark_detections(landmarks_px[None])[0]
            while k < len(samples.indices) and samples.indices[k] <= index:
                self._submit(k, prior)
                k += 1

    def _submit(self, k: int, prior: Optional[np.ndarray]) -> None:
        frame, meta = self._samples.frames[k], self._meta
        self._futures.append(self._pool.submit(
            screen_frames, [frame], self._detector, meta.width, meta.height, [prior]
        ))

    def finish(self) -> list[np.ndarray]:
        """Boxes per sample, all screened (those after the last tracked frame: no prior)."""
        for k in range(len(self._futures), len(self._samples.indices)):
            self._submit(k, None)
        return [fut.result()[0] for fut in self._futures]

    def close(self) -> None:
        """Stop the thread (pending samples are dropped) and free MediaPipe."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._detector.close()


class _with_index:  # noqa: N801 - a tiny helper used like a function
    """Pass frames through, remembering their indices (to drop a chunk's warm-up)."""

    def __init__(self, frames: Iterator) -> None:
        self._frames = frames
        self.indices: list[int] = []

    def frames(self) -> Iterator:
        for item in self._frames:
            self.indices.append(item[0])
            yield item


def _chunk_worker(
    meta: VideoMeta, settings: Settings, stride: int, bounds: tuple,
    samples: Optional[_Samples],
) -> tuple:
    """Process entry point: track one chunk with its own MediaPipe graph."""
    backend = MediaPipePoseBackend(settings.pose)
    try:
        lm, ts, n_grabbed, warnings = _run_chunk(meta, settings, stride, bounds, backend, samples)
    finally:
        backend.close()
    return lm, ts, n_grabbed, warnings, samples


def _start_chunks(
    meta: VideoMeta,
    settings: Settings,
    stride: int,
    bounds: list[tuple],
    samples: Optional[_Samples],
    processes: int,
) -> tuple:
    """Start chunks in ``processes`` spawned processes (MediaPipe graphs must not be forked).

    Each chunk samples like ``samples`` (None = no sampling) into its own ``_Samples``.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    args = [(meta, settings, stride, b, _fresh_samples(samples)) for b in bounds]
    try:
        pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn")
        )
        return pool, [pool.submit(_chunk_worker, *a) for a in args]
    except (AssertionError, OSError, RuntimeError) as exc:
        # e.g. inside a daemonic worker (Dask): same chunks, one after the other, here
        logger.info("chunks run in this process (%s)", type(exc).__name__)
        return None, [_Deferred(_chunk_worker, a) for a in args]


def _fresh_samples(samples: Optional[_Samples]) -> Optional[_Samples]:
    """An empty ``_Samples`` sampling like ``samples`` (None stays None)."""
    return None if samples is None else _Samples(samples.stride, samples.max_side_px)


def _track_chunks(
    meta: VideoMeta,
    settings: Settings,
    stride: int,
    bounds: list[tuple],
    backend: PoseBackend,
    samples: Optional[_Samples],
    processes: int,
    n_expected: int,
    progress: Optional[ProgressCallback],
) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """Track every chunk and stitch them in order, sharing them over ``processes``.

    The first share runs here on ``backend`` (reset between chunks), the rest in
    ``processes - 1`` spawned processes. Each chunk starts from a fresh graph, so the result
    does not depend on ``processes``. Samples of later chunks are appended to ``samples``;
    frames grabbed are those of the last chunk (it reads to the end), the video's warnings
    those of every chunk, once each.
    """
    n_here = -(-len(bounds) // processes)
    pool, remote = None, []
    try:
        if n_here < len(bounds):
            pool, remote = _start_chunks(
                meta, settings, stride, bounds[n_here:], samples, processes - 1
            )
        parts: list[tuple] = []
        for i, chunk_bounds in enumerate(bounds[:n_here]):
            if i:
                backend.reset()
            own = samples if i == 0 else _fresh_samples(samples)
            done = sum(len(part[1]) for part in parts)
            report = None if progress is None else partial(_progress_from, progress, done)
            lm, ts, n_grabbed, warnings = _run_chunk(
                meta, settings, stride, chunk_bounds, backend, own, n_expected, report
            )
            parts.append((lm, ts, n_grabbed, warnings, own))
        parts += [fut.result() for fut in remote]
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    if samples is not None:
        for part in parts[1:]:
            samples.extend(part[4])
    return (
        np.concatenate([part[0] for part in parts]),
        np.concatenate([part[1] for part in parts]),
        parts[-1][2],
        list(dict.fromkeys(w for part in parts for w in part[3])),
    )


def _progress_from(progress: ProgressCallback, done: int, i: int, n: int) -> None:
    """Report ``done + i`` of ``n`` frames (a later chunk tracked in this process)."""
    progress(done + i, n)


class _Deferred:
    """A call run on ``result()``, standing in for a Future."""

    def __init__(self, fn: Callable, args: tuple) -> None:
        self._fn, self._args = fn, args

    def result(self) -> tuple:
        return self._fn(*self._args)


def _close(items: Iterator) -> None:
    close = getattr(items, "close", None)
    if close is not None:
        close()


def _maybe_prefetch(items: Iterator, cfg: PoseConfig) -> Iterator:
    return prefetch(items, cfg.decode_queue_frames) if cfg.decode_thread else items


def extract_pose(
    path: str | Path,
    settings: Settings = Settings(),
    meta: Optional[VideoMeta] = None,
    backend: Optional[PoseBackend] = None,
    progress: Optional[ProgressCallback] = None,
) -> tuple[PoseSequence, bool]:
    """Pose of the person of interest in a video, from the cache when the same content was seen.

    Uses ``settings.pose``, ``settings.video`` and ``settings.subject``. When subject
    selection finds several people (or gives a region), the subject is chosen from
    the whole clip first (``posescore.subject.select_subject``) and tracked inside crops
    around it; with one person the whole frame is used, exactly as without selection.
    See :func:`extract_pose_meta`, which also returns the video's metadata.

    Returns
    -------
    pose : PoseSequence
        ``pose.subject`` records how the subject was chosen.
    from_cache : bool
        True when MediaPipe did not run.
    """
    pose, from_cache, _ = extract_pose_meta(path, settings, meta, backend, progress)
    return pose, from_cache


def extract_pose_meta(
    path: str | Path,
    settings: Settings = Settings(),
    meta: Optional[VideoMeta] = None,
    backend: Optional[PoseBackend] = None,
    progress: Optional[ProgressCallback] = None,
    timings: Optional[dict[str, float]] = None,
) -> tuple[PoseSequence, bool, VideoMeta]:
    """Pose and metadata of a video, each decoded frame used once.

    Without ``meta`` the file is probed without counting frames (header and frame 0), and
    the count comes from the tracking pass (checked like ``probe_video`` does); with the
    meta index and the pose cache warm, the file is neither hashed nor decoded.
    ``timings["read"]`` gets the probe time, ``timings["pose"]`` the rest.

    Returns
    -------
    pose : PoseSequence
    from_cache : bool
        True when MediaPipe did not run.
    meta : VideoMeta
        ``frame_count`` is the decodable count when ``verify_frame_count`` is on.
    """
    cfg = settings.pose
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    count_in_pass = False
    if meta is None:
        meta = lookup_meta(path, settings)
        if meta is None:
            count_in_pass = settings.video.verify_frame_count
            meta = probe_video(path, settings.video, count_frames=False if count_in_pass else None)
    t1 = time.perf_counter()
    timings["read"] = timings.get("read", 0.0) + t1 - t0
    try:
        seq, from_cache, meta = _cached_or_tracked(
            path, settings, meta, backend, progress, count_in_pass
        )
        turn = upright_turn_deg(seq.landmarks) if cfg.turn_upright and not meta.turn_deg else 0
        if turn:
            logger.warning("video: %s", _turn_warning(turn).message)
            if backend is not None:
                backend.reset()
            seq, turned_from_cache, meta = _cached_or_tracked(
                path, settings, turned_meta(meta, turn), backend, progress, False
            )
            from_cache = from_cache and turned_from_cache
    finally:
        timings["pose"] = timings.get("pose", 0.0) + time.perf_counter() - t1
    remember_meta(path, meta, settings)
    return seq, from_cache, meta


def _cached_or_tracked(
    path: str | Path,
    settings: Settings,
    meta: VideoMeta,
    backend: Optional[PoseBackend],
    progress: Optional[ProgressCallback],
    count_in_pass: bool,
) -> tuple[PoseSequence, bool, VideoMeta]:
    """The cached pose of ``meta`` (its content and turn), else tracked and cached."""
    cfg = settings.pose
    cpath = cache_path(meta, cfg, settings.subject)
    if cfg.use_cache and cpath.exists():
        cached = _load_cache(cpath)
        if cached is not None:
            if count_in_pass:  # pose cached, but this file's count is not yet known
                meta = dataclasses.replace(
                    probe_video(path, settings.video), turn_deg=meta.turn_deg
                )
            return cached, True, meta
    seq, meta = _track(path, settings, meta, backend, progress, count_in_pass)
    if cfg.use_cache:
        try:
            _save_cache(cpath, seq)
        except OSError as exc:
            logger.warning("could not write pose cache (%s)", type(exc).__name__)
    return seq, False, meta


UPRIGHT_MIN_FRAMES = 10
"""Fewest frames with both shoulders and hips before the picture's orientation is judged."""
UPRIGHT_AGREEMENT = 0.8
"""Share of those frames whose torso must point the same wrong way before the frames turn."""


def upright_turn_deg(landmarks: np.ndarray) -> int:
    """Clockwise turn (0, 90, 180 or 270 deg) that stands the person in the picture upright.

    The torso axis (hip midpoint to shoulder midpoint) of each frame is put in the nearest of
    the four image directions. A turn is returned only when at least ``UPRIGHT_MIN_FRAMES``
    frames have the axis and ``UPRIGHT_AGREEMENT`` of them point the same way other than up:
    a person who walks, runs or stands keeps the trunk within some 20 deg of vertical, so a
    consistently sideways or downward trunk means a picture turned by a phone held sideways
    (or upside down) whose rotation metadata is missing or wrong.

    Parameters
    ----------
    landmarks : ndarray, shape (T, 33, >=2)
        Landmark x, y in image pixels (y down); NaN where not detected.

    Returns
    -------
    int
        0 when upright or undecided.
    """
    lm = np.asarray(landmarks, dtype=float)
    if lm.ndim != 3 or lm.shape[1] < N_LANDMARKS or lm.shape[0] == 0:
        return 0
    angle = trunk_angle_deg(lm)
    ok = np.isfinite(angle)
    if ok.sum() < UPRIGHT_MIN_FRAMES:
        return 0
    # the trunk's direction in quarter turns clockwise from image up: 1 = head to the right
    quarter = np.round(angle[ok] / 90.0).astype(int) % 4
    counts = np.bincount(quarter, minlength=4)
    way = int(np.argmax(counts))
    if way == 0 or counts[way] < UPRIGHT_AGREEMENT * ok.sum():
        return 0
    return (4 - way) % 4 * 90


def _turn_warning(turn_deg: int) -> Notice:
    return Notice(
        code=NoticeCode.PICTURE_TURNED,
        stage="video",
        message=f"the person lay {'upside down' if turn_deg == 180 else 'sideways'} in the "
        f"picture (rotation metadata missing or wrong): frames turned {turn_deg} deg clockwise "
        "before pose estimation",
    )


def turned_meta(meta: VideoMeta, turn_deg: int) -> VideoMeta:
    """``meta`` for frames turned ``turn_deg`` clockwise more (size swapped at 90 and 270)."""
    quarter = turn_deg in (90, 270)
    return dataclasses.replace(
        meta,
        turn_deg=turn_deg,
        width=meta.height if quarter else meta.width,
        height=meta.width if quarter else meta.height,
        warnings=(*meta.warnings, _turn_warning(turn_deg)),
    )


def _track(
    path: str | Path,
    settings: Settings,
    meta: VideoMeta,
    backend: Optional[PoseBackend],
    progress: Optional[ProgressCallback],
    count_in_pass: bool,
) -> tuple[PoseSequence, VideoMeta]:
    cfg, subject_cfg = settings.pose, settings.subject
    stride = effective_stride(meta.fps, cfg)
    n_expected = meta.frame_count // stride
    fused = subject_cfg.enabled and subject_cfg.single_pass and subject_cfg.roi is None
    subject = None
    if subject_cfg.enabled and not fused:
        subject = select_subject(meta, subject_cfg)
    record: dict = {"method": "single-person MediaPipe tracking"}
    own_backend = backend is None
    backend = backend if backend is not None else MediaPipePoseBackend(cfg)
    try:
        landmarks = times = None
        if subject is None or not subject.needs_crop:
            samples = None
            if fused:
                samples = _Samples(
                    sample_stride(
                        meta.fps, meta.frame_count, subject_cfg.sample_rate_hz,
                        subject_cfg.max_samples,
                    ),
                    subject_cfg.detect_max_side_px,
                )
            bounds = _chunk_bounds(meta, cfg, stride)
            processes = min(cfg.chunk_processes, len(bounds)) if own_backend else 1
            landmarks, times, n_grabbed, warnings = _track_chunks(
                meta, settings, stride, bounds, backend, samples, processes, n_expected, progress
            )
            if count_in_pass:
                warnings = [w for w in warnings if w.code != NoticeCode.TRUNCATED]
                meta = counted_meta(meta, n_grabbed, warnings, settings.video)
                count_in_pass = False
            if samples is not None:
                found = detect_frames(
                    np.asarray(samples.times_s, dtype=float), samples.frames, meta.width,
                    meta.height, subject_cfg, samples.mediapipe,
                )
                samples = None  # the sampled frames are no longer needed
                subject = select_subject(meta, subject_cfg, detections=found)
        if subject is not None:
            record = {**subject.summary(), "tracker": "MediaPipe"}
        if subject is not None and subject.needs_crop:
            if landmarks is not None:
                # the full-frame pass left tracking state: start the crop pass afresh (a
                # given backend too, so that the service tracks as the command line does)
                backend.reset()
            with VideoReader(meta, settings.video) as reader:
                frames = _maybe_prefetch(reader.frames(stride=stride), cfg)
                try:
                    landmarks, times, n_dropped = track_subject_frames(
                        frames, backend, subject, subject_cfg, cfg.max_inference_side_px,
                        n_expected=n_expected, progress=progress,
                        hold_repeats=cfg.hold_repeated_frames,
                    )
                finally:
                    _close(frames)
                n_grabbed, warnings = reader.frames_grabbed, list(reader.warnings)
            if count_in_pass:
                warnings = [w for w in warnings if w.code != NoticeCode.TRUNCATED]
                meta = counted_meta(meta, n_grabbed, warnings, settings.video)
            record["frames_dropped_off_track"] = n_dropped
            if n_dropped:
                logger.info("dropped %d frames where the body left the subject's track", n_dropped)
        elif cfg.backfill_min_gap_s is not None:
            landmarks, n_filled = _backfill(meta, settings, stride, landmarks, times, backend)
            if n_filled:
                record["frames_tracked_backwards"] = n_filled
                logger.info("tracked %d frames without a body again, backwards", n_filled)
    finally:
        if own_backend:
            backend.close()
    if landmarks is None or landmarks.shape[0] == 0:
        raise PoseError(f"{Path(path).name}: no frames could be decoded for pose estimation")
    seq = PoseSequence(
        landmarks=landmarks,
        timestamps_s=times,
        fps=meta.fps / stride,
        width=meta.width,
        height=meta.height,
        extractor=extractor_version(cfg, subject_cfg),
        subject=record,
    )
    return seq, meta
