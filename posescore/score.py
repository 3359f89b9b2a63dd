"""The one core call: ``score_video(path, settings) -> ScoreResult``.

The CLI, the batch runner, Dask workers and the API all call this; it holds no I/O other
than reading the video (and the pose cache) and no argument parsing. The measuring and the
quality gate live in ``measure`` and ``quality``; their public names are importable from here
too (``__all__``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
from threadpoolctl import threadpool_limits

from posescore import __version__
from posescore.config import Settings
from posescore.constants import SCHEMA_VERSION, SIDES, TASKS
from posescore.contract import Notice, NoticeCode, Score
from posescore.contract.score import Quality
from posescore.crosscheck import crosscheck, untrained_view_notice
from posescore.errors import PosescoreError
from posescore.gait import GaitEvents
from posescore.measure import Measurements, measure_pose, timed_stage
from posescore.model_design import leg_rows
from posescore.model_file import LoadedModel, load_model
from posescore.phenomenology import leg_phenomenology
from posescore.pose import PoseBackend, extract_pose_meta
from posescore.quality import assess_measured, assess_quality, subject_warning
from posescore.signals import Trajectories
from posescore.types import PoseSequence, VideoMeta

__all__ = [
    "PHANTOM_WARNING",
    "LegScore",
    "Measurements",
    "ScoreResult",
    "ScoreTraces",
    "affected_side_from",
    "assess_measured",
    "assess_quality",
    "measure_pose",
    "model_block",
    "model_status",
    "phenomenology_for",
    "score_pose",
    "score_video",
    "strides_block",
    "subject_warning",
]

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
    with timed_stage(timings, "model"), threadpool_limits(1):  # 2 rows: threads only cost
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
            untrained = untrained_view_notice(model.training_views, traj.view)
            quality.warnings += [untrained] if untrained else []
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
