"""The one core call: ``score_video(path, settings) -> ScoreResult``.

The CLI, the batch runner, Dask workers and the API all call this; it holds no I/O other
than reading the video (and the pose cache) and no argument parsing.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
from threadpoolctl import threadpool_limits

from posescore import __version__
from posescore.config import Settings
from posescore.constants import (
    LEFT_HEEL,
    LEFT_HIP,
    LEFT_SHOULDER,
    LEG_LANDMARKS,
    NOSE,
    RIGHT_HEEL,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    SCHEMA_VERSION,
    SIDES,
    TASKS,
)
from posescore.contract import Notice, NoticeCode, Score
from posescore.contract.score import Quality
from posescore.crosscheck import crosscheck
from posescore.errors import PosescoreError
from posescore.features import compute_features, stride_measures
from posescore.gait import GaitEvents, detect_gait_events, gait_summary
from posescore.geometry import estimate_leg_length_px
from posescore.model import LoadedModel, leg_rows, load_model
from posescore.phenomenology import (
    foot_tremor_rms_leglen,
    leg_phenomenology,
    tremor_resolvable,
)
from posescore.pose import PoseBackend, extract_pose_meta
from posescore.signals import (
    Trajectories,
    camera_roll_deg,
    clean_pose,
    evenly_timed,
    facing_per_frame,
    level_landmarks,
    seen_xy,
    straight_walk_span,
)
from posescore.types import PoseSequence, VideoMeta

logger = logging.getLogger(__name__)

PHANTOM_WARNING = (
    "model trained on phantom (synthetic) videos only; not clinically validated"
)


@dataclass
class LegScore:
    """Severity of one leg on the 0-4 scale."""

    severity: Optional[float]
    severity_class: Optional[int]
    severity_interval: Optional[list[float]]
    probabilities: Optional[list[float]]
    phenomenology: dict[str, Any] = field(default_factory=dict)
    abnormality: Optional[dict[str, Any]] = None
    """The cross-check of the severity against the leg's measures (``crosscheck``)."""


@dataclass(frozen=True)
class ScoreTraces:
    """In-memory signals behind a score, for report plots and overlays (never serialised)."""

    pose: PoseSequence
    traj: Trajectories
    events: dict[str, GaitEvents]


def strides_block(table: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, list]]:
    """JSON-ready per-stride values: ``{side: {measure: [value or None per stride]}}``."""
    return {
        side: {
            name: [round(float(v), 4) if np.isfinite(v) else None for v in np.asarray(values)]
            for name, values in measures.items()
        }
        for side, measures in table.items()
    }


@dataclass
class ScoreResult:
    """Everything ``posescore score`` reports for one video, in memory (see ``to_model``)."""

    video: VideoMeta
    task: str
    view: str
    quality: Quality
    gait: dict[str, Any]
    legs: dict[str, LegScore]
    affected_side: Optional[str]
    features: dict[str, Optional[float]]
    model: dict[str, Any]
    timings: dict[str, float]
    pose_from_cache: bool = False
    strides: dict[str, dict[str, list]] = field(default_factory=dict)
    """Per-stride values per side (``features.stride_measures``), JSON key ``strides``."""
    traces: Optional[ScoreTraces] = field(default=None, repr=False, compare=False)
    """Pose, trajectories and events in memory for reports; not part of the JSON."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON of :meth:`to_model`."""
        return self.to_model().to_json()

    def to_model(self) -> Score:
        """The typed contract (:class:`posescore.contract.Score`)."""
        v = self.video
        return Score.model_validate({
            "schema_version": SCHEMA_VERSION,
            "posescore_version": __version__,
            "video": {
                "path": v.path,
                "sha256": v.sha256,
                "fps": round(v.fps, 3),
                "frame_count": v.frame_count,
                "duration_s": round(v.duration_s, 3),
                "width": v.width,
                "height": v.height,
                "rotation_deg": (v.rotation_deg + v.turn_deg) % 360,
            },
            "task": self.task,
            "view": self.view,
            "quality": self.quality,
            "gait": self.gait,
            "legs": {
                side: {
                    "severity": leg.severity,
                    "severity_class": leg.severity_class,
                    "severity_interval": leg.severity_interval,
                    "probabilities": leg.probabilities,
                    "phenomenology": leg.phenomenology,
                    "abnormality": leg.abnormality,
                }
                for side, leg in self.legs.items()
            },
            "affected_side": self.affected_side,
            "features": self.features,
            "model": self.model,
            "timings": {k: round(t, 4) for k, t in self.timings.items()},
            "pose_from_cache": self.pose_from_cache,
            "strides": self.strides,
        })


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def legs_visible_fraction(pose: PoseSequence, visibility_threshold: float) -> float:
    """Share of the frames with a body in which every leg landmark of both legs is visible.

    Of the frames with a body, not of all frames: a subject who enters the picture late is
    judged on the frames in which they are there (how many those are is
    ``pose_detected_fraction``). 0 when no frame has a body.
    """
    detected = pose.detected()
    if not detected.any():
        return 0.0
    idx = [i for side in SIDES for i in LEG_LANDMARKS[side].values()]
    vis = pose.landmarks[detected][:, idx, 3]
    ok = np.nan_to_num(vis, nan=0.0) >= visibility_threshold
    return float(ok.all(axis=1).mean())


def trunk_in_frame_fraction(pose: PoseSequence) -> float:
    """Share of frames with a body in which both shoulders and both hips lie in the picture.

    0 when no frame has a body.
    """
    detected = pose.detected()
    if not detected.any():
        return 0.0
    xy = pose.landmarks[detected][:, [LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP], :2]
    with np.errstate(invalid="ignore"):
        inside = (
            (xy[..., 0] >= 0) & (xy[..., 0] < pose.width)
            & (xy[..., 1] >= 0) & (xy[..., 1] < pose.height)
        )
    return float(inside.all(axis=1).mean())


def assess_quality(
    pose: PoseSequence,
    traj: Trajectories,
    gait: dict[str, Any],
    settings: Settings,
    per_stride: Optional[dict[str, dict[str, np.ndarray]]] = None,
    luma: float = float("nan"),
) -> Quality:
    """Quality block of the contract: can this video support a score, and why not.

    Checks the share of frames with a body (or its time, ``quality.min_pose_s``) and with
    both legs visible, the body height in pixels (``quality.min_body_height_px``; negative:
    upside down), the step count, the strides per leg
    (``quality.min_strides_per_leg``, from ``per_stride`` when given) and whether the frame rate
    resolves the tremor band (Nyquist: distinct pictures per second > 2 x its upper edge,
    repeated frames not counted; a warning, not a reason to refuse the score). Each failed
    check is listed in ``not_scorable_reasons`` (empty when scorable) and leads ``warnings``.
    A picture (``VideoMeta.luma``) darker than ``quality.min_luma`` is a reason too.
    """
    q = settings.quality
    detected = float(pose.detected().mean()) if pose.n_frames else 0.0
    detected_s = float(pose.detected().sum()) / pose.fps if pose.fps > 0 else 0.0
    enough_pose = detected >= q.min_pose_fraction or detected_s >= q.min_pose_s
    legs_visible = legs_visible_fraction(pose, settings.signal.visibility_threshold)
    reasons: list[Notice] = []  # each makes the video not scorable
    warnings: list[Notice] = []

    def refuse(code: NoticeCode, message: str) -> None:
        reasons.append(Notice(code=code, stage="quality", message=message))

    if not enough_pose:
        refuse(
            NoticeCode.TOO_LITTLE_POSE,
            f"a body was found in only {detected:.0%} of frames, {detected_s:.1f} s (need "
            f"{q.min_pose_fraction:.0%} or {q.min_pose_s:g} s)"
        )
    if legs_visible < q.min_legs_visible_fraction:
        refuse(
            NoticeCode.LEGS_NOT_VISIBLE,
            f"both legs were visible in only {legs_visible:.0%} of the frames with a body "
            f"(need {q.min_legs_visible_fraction:.0%})"
        )
    trunk_in = trunk_in_frame_fraction(pose)
    if detected and trunk_in < q.min_trunk_in_frame_fraction:
        refuse(
            NoticeCode.TRUNK_OUT_OF_FRAME,
            f"the shoulders and hips were inside the picture in only {trunk_in:.0%} of the "
            f"frames with a body (need {q.min_trunk_in_frame_fraction:.0%}): without the "
            "trunk the pose estimator guesses the body's size, facing and left/right; film the "
            "whole body"
        )
    steps = gait.get("step_count") or 0
    if steps < 2 * q.min_strides_per_leg:
        refuse(NoticeCode.TOO_FEW_STEPS,
               f"only {steps} steps detected (need {2 * q.min_strides_per_leg})")
    if luma < q.min_luma:
        refuse(
            NoticeCode.TOO_DARK,
            f"too dark to score: the picture's mean luminance is {luma:.0f}/255 (need "
            f"{q.min_luma:g}); in the dark the leg landmarks drift, film in better light"
        )
    body_px = _body_height_px(pose)
    upside_down = body_px is not None and body_px < 0
    if upside_down:
        refuse(
            NoticeCode.UPSIDE_DOWN,
            "the head is below the heels: the picture is upside down (it was not stood "
            "upright: pose.turn_upright is off or the body was seen too briefly); turn the "
            "video upright"
        )
    too_small = body_px is not None and 0 <= body_px < q.min_body_height_px
    if too_small:
        refuse(
            NoticeCode.BODY_TOO_SMALL,
            f"the body is only {body_px:.0f} px tall in the frame (need {q.min_body_height_px:.0f}"
            " px); film closer or at a higher resolution"
        )
    strides_per_leg: dict[str, int] = {}
    if per_stride is not None:
        strides_per_leg = {
            side: int(len(per_stride.get(side, {}).get("stride_time_s", []))) for side in SIDES
        }
        for side, n in strides_per_leg.items():
            if n < q.min_strides_per_leg:
                refuse(
                    NoticeCode.TOO_FEW_STRIDES,
                    f"only {n} complete strides of the {side} leg (need "
                    f"{q.min_strides_per_leg}); record a longer walk"
                )
    repeated = pose.repeated_fraction()
    filmed_fps = pose.filmed_fps
    if repeated >= q.repeated_frames_warn_fraction:
        warnings.append(Notice(
            code=NoticeCode.REPEATED_FRAMES,
            stage="video",
            message=f"{repeated:.0%} of frames repeat the previous picture (converted to a "
            f"higher frame rate?): at most {filmed_fps:.1f} distinct frames per second were filmed",
        ))
    lo_hz, hi_hz = settings.phenomenology.tremor_band_hz
    tremor_ok = tremor_resolvable(filmed_fps, (lo_hz, hi_hz))
    if not tremor_ok:
        warnings.append(Notice(
            code=NoticeCode.LOW_FPS_TREMOR,
            stage="video",
            message=f"frame rate {filmed_fps:.1f} fps is too low for the {lo_hz:g}-{hi_hz:g} "
            f"Hz tremor band (needs more than {2 * hi_hz:g} fps); tremor is not assessed",
        ))
    if traj.view.startswith("sagittal_"):
        near = traj.view.split("_", 1)[1]
        far = "right" if near == "left" else "left"
        warnings.append(Notice(
            code=NoticeCode.FAR_LEG_HIDDEN,
            stage="pose",
            message=f"side view: the {far} leg is the far leg, partly hidden; its score is "
            f"less certain. Film the {far} side or add a frontal/posterior view",
        ))
    return Quality(
        scorable=not reasons,
        not_scorable_reasons=reasons,
        pose_detected_fraction=round(detected, 4),
        legs_visible_fraction=round(legs_visible, 4),
        trunk_in_frame_fraction=round(trunk_in, 4),
        body_height_px=body_px,
        strides_per_leg=strides_per_leg or None,
        tremor_band_resolvable=bool(tremor_ok),
        warnings=reasons + warnings,
    )


def _body_height_px(pose: PoseSequence) -> Optional[float]:
    """Median nose-to-lowest-heel height in pixels, a size-in-frame check."""
    y = pose.landmarks[:, :, 1]
    lowest_heel = np.fmax(y[:, LEFT_HEEL], y[:, RIGHT_HEEL])
    height = lowest_heel - y[:, NOSE] if pose.n_frames else np.array([])
    height = height[np.isfinite(height)]
    return round(float(np.median(height)), 1) if height.size else None


def phenomenology_for(
    per_stride: dict[str, dict[str, np.ndarray]],
    view: str,
    settings: Settings,
    pose: Optional[PoseSequence] = None,
    stride_time_s: Optional[float] = None,
) -> tuple[dict[str, dict[str, Any]], list[Notice]]:
    """Per-leg phenomenology (``legs.<side>.phenomenology``) and the view/video warnings.

    See :func:`posescore.phenomenology.leg_phenomenology`.
    """
    legs, warnings = leg_phenomenology(
        per_stride,  # type: ignore[arg-type]
        view,
        pose=pose,
        stride_time_s=stride_time_s,
        feature_cfg=settings.feature,
        cfg=settings.phenomenology,
        visibility_threshold=settings.signal.visibility_threshold,
    )
    return dict(legs), warnings


def affected_side_from(legs: dict[str, LegScore], threshold: float) -> Optional[str]:
    """Affected side (left, right, both or none) from per-leg scores (None when not scorable).

    A leg is affected when its severity reaches ``threshold`` and its interval excludes 0,
    so a far leg scored slightly above 0 with a wide interval is not called affected.
    """
    if any(leg.severity is None or leg.severity_interval is None for leg in legs.values()):
        return None
    affected = [
        side
        for side in SIDES
        if legs[side].severity >= threshold and legs[side].severity_interval[0] > 0  # type: ignore[operator,index]
    ]
    if len(affected) == 2:
        return "both"
    return affected[0] if affected else "none"


def model_status(model: dict[str, Any]) -> str:
    """One line naming the model, what it was trained on and whether it is validated."""
    validated = "yes" if model.get("clinically_validated") else "no"
    return (
        f"{model.get('name')} (trained on {model.get('trained_on')}; "
        f"clinically validated: {validated})"
    )


def model_block(model: LoadedModel) -> dict[str, Any]:
    """The ``model`` block of the contract, from the model card."""
    card = model.card
    return {
        "name": card.get("name", model.path.stem),
        "version": card.get("version"),
        "trained_on": card.get("trained_on", "unknown"),
        "clinically_validated": bool(card.get("clinically_validated", False)),
        "sha256": card.get("sha256"),
        "interval_coverage": card.get("interval_coverage"),
        "notice": card.get(
            "notice", PHANTOM_WARNING if card.get("trained_on") == "phantom" else ""
        ),
    }


@dataclass
class Measurements:
    """Everything measured from a pose sequence, before the model."""

    traj: Trajectories
    events: dict[str, Any]
    gait: dict[str, Any]
    per_stride: dict[str, dict[str, np.ndarray]]
    features: dict[str, Optional[float]]
    walk_span: Optional[tuple[int, int]] = None
    """Frames [start, stop) measured when the subject turned (``straight_walk``), else None."""
    camera_roll_deg: float = 0.0
    """Camera tilt undone before measuring (``camera_tilt_deg``), deg clockwise; 0 = none."""
    timed_pose: Optional[PoseSequence] = None
    """The pose re-timed to even frames when its frame times were uneven
    (``signals.evenly_timed``; event frames index it), else None."""
    timing_warning: Optional[str] = None


def measure_pose(
    pose: PoseSequence, settings: Settings, timings: Optional[dict[str, float]] = None
) -> Measurements:
    """Clean, detect gait events and compute per-stride and per-video features.

    Uneven frame times (a variable frame rate, a pause) are first evened out
    (``signals.evenly_timed``): then frame indices refer to ``Measurements.timed_pose``, not
    to the video. When the subject turned, only the longest walk in one direction is
    measured (the other frames are blanked, so frame indices stay those of the pose).
    """
    timings = {} if timings is None else timings
    with _timed(timings, "clean"):
        pose, timing_warning = evenly_timed(pose, settings.signal)
        timed = pose
        roll_deg = camera_tilt_deg(pose, settings)
        if roll_deg:
            pose = dataclasses.replace(pose, landmarks=level_landmarks(
                pose.landmarks, roll_deg, pose.width, pose.height
            ))
        span = straight_walk(pose, settings)
        if span is not None:
            pose = pose.blanked_outside(*span)
        traj = clean_pose(pose, settings.signal)
    with _timed(timings, "gait"):
        events = {side: detect_gait_events(traj, side, settings.gait) for side in SIDES}
        gait = gait_summary(events, traj.fps, traj, settings.gait)
    with _timed(timings, "features"):
        per_stride = stride_measures(traj, events, settings.feature)
        tremor = foot_tremor_rms_leglen(
            pose, traj.legs_exchanged, traj.leg_length_px,
            settings.phenomenology.tremor_band_hz, settings.signal.visibility_threshold)
        per_walk = {side: {"foot_tremor_rms_leglen": tremor[side]} for side in SIDES}
        features = compute_features(traj, events, settings.feature, strides=per_stride,
                                    min_strides=settings.quality.min_strides_per_measure,
                                    per_walk=per_walk)
    return Measurements(
        traj, events, gait, per_stride, features, span, roll_deg,
        timed if timing_warning else None, timing_warning,
    )


def camera_tilt_deg(pose: PoseSequence, settings: Settings) -> float:
    """Clockwise camera tilt to undo, deg (0 within the walking lean ``level_min_roll_deg``)."""
    if not settings.gait.level_tilted_camera:
        return 0.0
    roll = camera_roll_deg(seen_xy(pose.landmarks, settings.signal))
    return roll if np.isfinite(roll) and abs(roll) > settings.gait.level_min_roll_deg else 0.0


def straight_walk(pose: PoseSequence, settings: Settings) -> Optional[tuple[int, int]]:
    """Frames [start, stop) of the longest walk in one direction if the subject turned.

    None when ``settings.gait.longest_straight_walk`` is off or there was no turn
    (``signals.straight_walk_span`` on ``signals.facing_per_frame``).
    """
    if not settings.gait.longest_straight_walk:
        return None
    xy = seen_xy(pose.landmarks, settings.signal)
    facing = facing_per_frame(xy, estimate_leg_length_px(xy))
    return straight_walk_span(facing, pose.fps, settings.gait.min_walk_bout_s)


def subject_warning(record: dict) -> Optional[Notice]:
    """What ``quality.warnings`` says of the subject's choice (``PoseSequence.subject``).

    None with one person in view and no region given.
    """
    people, method = int(record.get("people_seen", 0)), record.get("method")
    box = ", ".join(f"{v:.0f}" for v in record.get("box_median_px", []))
    if method == "roi":
        return Notice(code=NoticeCode.PERSON_IN_REGION, stage="pose", message=f"{people} people "
                      f"were seen; the one in the given region was scored (box {box} px)")
    if method == "roi-fixed":
        return Notice(code=NoticeCode.NOBODY_IN_REGION, stage="pose", message="nobody was "
                      "found in the given region; the region itself was tracked")
    if people > 1:
        return Notice(
            code=NoticeCode.SEVERAL_PEOPLE,
            stage="pose",
            message=f"{people} people were seen; the most persistent, largest, most central "
            f"walker was scored (median box x0, y0, x1, y1 = {box} px); give a region (--roi) "
            "to score another",
        )
    return None


def assess_measured(
    pose: PoseSequence, measured: Measurements, settings: Settings, luma: float = float("nan")
) -> tuple[PoseSequence, PoseSequence, Optional[Notice], Quality]:
    """Quality of a measured pose, as ``score_pose`` judges it (``assess_quality``).

    When the subject turned, only the longest walk counts (``Measurements.walk_span``).

    Returns
    -------
    pose_walked : PoseSequence
        The frames of the walk measured.
    pose_scored : PoseSequence
        ``pose`` with the frames outside that walk blanked (frame indices kept).
    turn_warning : Notice or None
        What ``quality.warnings`` says of the turn; None without one.
    quality : Quality
        The contract's quality block.
    """
    pose_walked, turn_warning = pose, None
    if measured.walk_span is not None:
        start, stop = measured.walk_span
        t_s = pose.timestamps_s
        turn_warning = Notice(
            code=NoticeCode.SUBJECT_TURNED,
            stage="gait",
            message=f"the subject turned: only the longest walk in one direction, "
            f"{t_s[start]:.1f}-{t_s[stop - 1]:.1f} s of {t_s[0]:.1f}-{t_s[-1]:.1f} s, is scored",
        )
        pose_walked, pose = pose.frames(start, stop), pose.blanked_outside(start, stop)
    quality = assess_quality(
        pose_walked, measured.traj, measured.gait, settings, measured.per_stride, luma
    )
    return pose_walked, pose, turn_warning, quality


def score_pose(
    pose: PoseSequence,
    meta: VideoMeta,
    settings: Settings,
    model: LoadedModel,
    task: str = "walk_forward",
    timings: Optional[dict[str, float]] = None,
) -> ScoreResult:
    """Score an already extracted pose sequence (the cached re-scoring path)."""
    timings = {} if timings is None else timings
    measured = measure_pose(pose, settings, timings)
    pose = measured.timed_pose or pose
    walk_warnings = list(meta.warnings)
    if measured.timing_warning:
        walk_warnings.append(Notice(code=NoticeCode.POSE_RETIMED, stage="pose",
                                    message=measured.timing_warning))
    walk_warnings += [w for w in [subject_warning(pose.subject)] if w]
    if measured.traj.legs_relabelled:
        walk_warnings.append(Notice(
            code=NoticeCode.LEGS_RELABELLED,
            stage="pose",
            message="side view: the pose estimator had named the legs the other way round for "
            "most of the walk (the leg it called near looked smaller than the far one); the "
            "names were exchanged before measuring",
        ))
    if measured.camera_roll_deg:
        walk_warnings.append(Notice(
            code=NoticeCode.CAMERA_TILTED,
            stage="pose",
            message=f"the camera was tilted by about {abs(measured.camera_roll_deg):.0f} deg "
            f"({'clockwise' if measured.camera_roll_deg > 0 else 'anticlockwise'}, judged from "
            "the trunk): the body was turned level before measuring",
        ))
    pose_walked, pose, turn_warning, quality = assess_measured(pose, measured, settings, meta.luma)
    walk_warnings += [turn_warning] if turn_warning else []
    traj, events, gait = measured.traj, measured.events, measured.gait
    per_stride, features = measured.per_stride, measured.features
    phenomenology, phen_warnings = phenomenology_for(
        per_stride, traj.view, settings, pose_walked, gait.get("stride_time_s")
    )
    warnings = [*walk_warnings, *quality.warnings, *phen_warnings]
    quality.warnings = list(dict.fromkeys(warnings))  # in order, once each
    legs: dict[str, LegScore] = {}
    with _timed(timings, "model"), threadpool_limits(1):  # 2 rows: threads only cost
        if quality.scorable:
            X = leg_rows(features, traj.view, model.measures)
            severity = model.estimator.predict(X)
            interval = model.estimator.predict_interval(X)
            proba = model.estimator.predict_proba(X)
            checks = crosscheck(model.estimator, X, severity, interval, model.measures,
                                settings.model, SIDES)
            for i, side in enumerate(SIDES):
                lo, hi = checks[i].interval
                legs[side] = LegScore(
                    severity=round(float(severity[i]), 3),
                    severity_class=int(np.argmax(proba[i])),
                    severity_interval=[round(float(lo), 3), round(float(hi), 3)],
                    probabilities=[round(float(p), 4) for p in proba[i]],
                    phenomenology=phenomenology[side],
                    abnormality=checks[i].to_dict(),
                )
            quality.warnings += [m for c in checks for m in c.notices]
        else:
            for side in SIDES:
                legs[side] = LegScore(None, None, None, None, phenomenology[side])
    affected = affected_side_from(legs, settings.model.affected_threshold)
    return ScoreResult(
        video=meta,
        task=task,
        view=traj.view,
        quality=quality,
        gait=gait,
        legs=legs,
        affected_side=affected,
        features=features,
        model=model_block(model),
        timings=timings,
        strides=strides_block(per_stride),
        traces=ScoreTraces(pose=pose, traj=traj, events=dict(events)),
    )


def score_video(
    path: str | Path,
    settings: Settings = Settings(),
    model: Optional[LoadedModel] = None,
    task: str = "walk_forward",
    backend: Optional[PoseBackend] = None,
) -> ScoreResult:
    """Score one video file end to end.

    Raises
    ------
    PosescoreError
        (VideoError, PoseError, ModelError) with a one-line message for bad input.
    """
    if task not in TASKS:
        raise PosescoreError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    timings: dict[str, float] = {}
    model = model if model is not None else load_model(settings.model.path)
    # probe without a counting pass (the tracking pass counts) or, for an unchanged file
    # with a cached pose, no hashing and no decoding at all; times "read" and "pose"
    pose, from_cache, meta = extract_pose_meta(path, settings, backend=backend, timings=timings)
    result = score_pose(pose, meta, settings, model, task, timings)
    result.pose_from_cache = from_cache
    return result
