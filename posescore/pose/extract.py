"""Pose extraction: frames in, ``PoseSequence`` out, cached by video content.

The public entry points (``extract_pose``, ``extract_pose_meta``) orchestrate the stages of
this package: probe (``video``), cache (``cache``), subject selection (``subject``), tracking
(``tracking``, ``chunks``), backfill (``backfill``) and upright turns (``upright``).

Speed (``extract_pose_meta``): each frame is decoded once. The passes over a video share one
``video.FrameSource``. The probe reads the header and frame 0 only; the tracking pass starts
from that frame 0 on the same capture, counts the frames (``video.counted_meta``) and keeps
the subject-selection samples, downscaled (``ExecutionConfig.subject_single_pass``), with the
person tracked at each. When that person is one walker at every sample nobody else is looked
for; otherwise MediaPipe screens the samples, the tracked person taken as the first one found,
and the other detectors run only when that does not show one consistent person
(``SubjectConfig.screen_first``, ``people.detect_frames``); a second pass with crops runs only
when several people call for one. Decoding, the whole-factor downscale and the one colour
conversion run in a background thread (``video.prefetch``) while MediaPipe infers;
``PoseConfig.chunks`` splits a long video into chunks tracked from fresh graphs, in
``ExecutionConfig.chunk_processes`` processes at once (the same pose either way). A cached
re-score reads the pose and the remembered probe (``lookup_meta``): no hashing, no decoding.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Optional

import numpy as np

from posescore.config import Settings
from posescore.contract.notices import NoticeCode
from posescore.errors import PoseError
from posescore.pose.backend import MediaPipePoseBackend, PoseBackend
from posescore.pose.backfill import backfill_video
from posescore.pose.cache import (
    cache_path,
    extractor_version,
    load_cache,
    lookup_meta,
    remember_meta,
    save_cache,
)
from posescore.pose.chunks import chunk_bounds, track_chunks
from posescore.pose.frames import Samples, close_frames, maybe_prefetch
from posescore.pose.people import detect_frames, sample_stride
from posescore.pose.subject import select_subject
from posescore.pose.tracking import ProgressCallback, effective_stride, track_subject_frames
from posescore.pose.upright import turn_warning, turned_meta, upright_turn_deg
from posescore.types import PoseSequence, VideoMeta
from posescore.video import FrameSource, counted_meta, probe_video

logger = logging.getLogger(__name__)


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
    the whole clip first (``posescore.pose.subject.select_subject``) and tracked inside crops
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
    source = None
    if meta is None:
        meta = lookup_meta(path, settings)
        if meta is None:
            count_in_pass = settings.video.verify_frame_count
            source = FrameSource.probe(
                path, settings.video, count_frames=False if count_in_pass else None,
                low_light_luma=settings.quality.low_light_luma,
            )
            meta = source.meta
    # opened only when a pass needs it: a cached pose with a known probe reads no frame
    source = source if source is not None else FrameSource(meta, settings.video)
    t1 = time.perf_counter()
    timings["read"] = timings.get("read", 0.0) + t1 - t0
    try:
        seq, from_cache, meta = _cached_or_tracked(
            path, settings, meta, source, backend, progress, count_in_pass
        )
        turn = upright_turn_deg(seq.landmarks) if cfg.turn_upright and not meta.turn_deg else 0
        if turn:
            logger.warning("video: %s", turn_warning(turn).message)
            if backend is not None:
                backend.reset()
            seq, turned_from_cache, meta = _cached_or_tracked(
                path, settings, turned_meta(meta, turn), source, backend, progress, False
            )
            from_cache = from_cache and turned_from_cache
    finally:
        source.close()
        timings["pose"] = timings.get("pose", 0.0) + time.perf_counter() - t1
    remember_meta(path, meta, settings)
    return seq, from_cache, meta


def _cached_or_tracked(
    path: str | Path,
    settings: Settings,
    meta: VideoMeta,
    source: FrameSource,
    backend: Optional[PoseBackend],
    progress: Optional[ProgressCallback],
    count_in_pass: bool,
) -> tuple[PoseSequence, bool, VideoMeta]:
    """The cached pose of ``meta`` (its content and turn), else tracked and cached."""
    cpath = cache_path(meta, settings)
    if settings.execution.use_cache and cpath.exists():
        cached = load_cache(cpath)
        if cached is not None:
            if count_in_pass:  # pose cached, but this file's count is not yet known
                meta = dataclasses.replace(
                    probe_video(
                        path, settings.video, low_light_luma=settings.quality.low_light_luma
                    ),
                    turn_deg=meta.turn_deg,
                )
            return cached, True, meta
    seq, meta = _track(path, settings, meta, source, backend, progress, count_in_pass)
    if settings.execution.use_cache:
        try:
            save_cache(cpath, seq)
        except OSError as exc:
            logger.warning("could not write pose cache (%s)", type(exc).__name__)
    return seq, False, meta


def _track(
    path: str | Path,
    settings: Settings,
    meta: VideoMeta,
    source: FrameSource,
    backend: Optional[PoseBackend],
    progress: Optional[ProgressCallback],
    count_in_pass: bool,
) -> tuple[PoseSequence, VideoMeta]:
    """Track ``meta``'s video (its turn), every pass reading ``source``."""
    cfg, subject_cfg = settings.pose, settings.subject
    source.use_meta(meta)
    stride = effective_stride(meta.fps, cfg)
    n_expected = meta.frame_count // stride
    fused = (
        subject_cfg.enabled and settings.execution.subject_single_pass and subject_cfg.roi is None
    )
    subject = None
    if subject_cfg.enabled and not fused:
        subject = select_subject(meta, subject_cfg, source=source)
    record: dict = {"method": "single-person MediaPipe tracking"}
    own_backend = backend is None
    backend = backend if backend is not None else MediaPipePoseBackend(cfg)
    try:
        landmarks = times = None
        if subject is None or not subject.needs_crop:
            samples = None
            if fused:
                samples = Samples(
                    sample_stride(
                        meta.fps, meta.frame_count, subject_cfg.sample_rate_hz,
                        subject_cfg.max_samples,
                    ),
                    subject_cfg.detect_max_side_px,
                )
            bounds = chunk_bounds(meta, cfg, stride)
            processes = min(settings.execution.chunk_processes, len(bounds)) if own_backend else 1
            landmarks, times, n_grabbed, warnings = track_chunks(
                source, settings, stride, bounds, backend, samples, processes, n_expected,
                progress,
            )
            if count_in_pass:
                warnings = [w for w in warnings if w.code != NoticeCode.TRUNCATED]
                meta = counted_meta(meta, n_grabbed, warnings, settings.video)
                source.use_meta(meta)
                count_in_pass = False
            if samples is not None:
                found = detect_frames(
                    np.asarray(samples.times_s, dtype=float), samples.frames, meta.width,
                    meta.height, subject_cfg, samples.tracked,
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
            frames = maybe_prefetch(source.frames(stride=stride), settings.execution)
            try:
                landmarks, times, n_dropped = track_subject_frames(
                    frames, backend, subject, subject_cfg, cfg.max_inference_side_px,
                    n_expected=n_expected, progress=progress,
                    hold_repeats=cfg.hold_repeated_frames,
                )
            finally:
                close_frames(frames)
            n_grabbed, warnings = source.frames_grabbed, source.warnings
            if count_in_pass:
                warnings = [w for w in warnings if w.code != NoticeCode.TRUNCATED]
                meta = counted_meta(meta, n_grabbed, warnings, settings.video)
            record["frames_dropped_off_track"] = n_dropped
            if n_dropped:
                logger.info("dropped %d frames where the body left the subject's track", n_dropped)
        elif cfg.backfill_min_gap_s is not None:
            landmarks, n_filled = backfill_video(
                source, settings, stride, landmarks, times, backend
            )
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
