"""The score of one video (``posescore score``, ``GET /v1/jobs/{id}/result``)."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field

from posescore.constants import SCHEMA_VERSION, TASKS, VIEWS, Side
from posescore.contract.base import Contract
from posescore.contract.notices import Notice

Interval = list[float]
"""[low, high]."""


class VideoInfo(Contract):
    """The scored file, after rotation."""

    path: str = Field(description="As given (a batch writes the name relative to its folder).")
    sha256: str = Field(description="SHA-256 of the file's bytes.")
    fps: float = Field(description="Declared frame rate, frames/s.")
    frame_count: int = Field(description="Decodable frames.")
    duration_s: float = Field(description="frame_count / fps, s.")
    width: int = Field(description="Upright frame width, px.")
    height: int = Field(description="Upright frame height, px.")
    rotation_deg: int = Field(description="Clockwise turn applied to stand frames upright, deg.")


class Quality(Contract):
    """Can this video support a score, and why not."""

    scorable: bool
    not_scorable_reasons: list[Notice] = Field(description="Empty when scorable.")
    pose_detected_fraction: float = Field(description="Share of frames with a body, 0-1.")
    legs_visible_fraction: float = Field(
        description="Share of the frames with a body showing every leg landmark, 0-1."
    )
    trunk_in_frame_fraction: float = Field(
        description="Share of the frames with a body with shoulders and hips in the picture, 0-1."
    )
    body_height_px: Optional[float] = Field(
        description="Median nose-to-lowest-heel height, px; negative when upside down."
    )
    strides_per_leg: Optional[dict[Side, int]] = Field(description="Complete strides per leg.")
    tremor_band_resolvable: bool = Field(
        description="Distinct pictures per second exceed twice the tremor band's upper edge."
    )
    warnings: list[Notice] = Field(description="Every notice, the not-scorable reasons first.")


class Gait(Contract):
    """Temporal gait parameters of both legs; null when unmeasurable."""

    left_stance_fraction: Optional[float] = Field(description="Share of the stride, 0-1.")
    left_swing_fraction: Optional[float] = Field(description="Share of the stride, 0-1.")
    right_stance_fraction: Optional[float] = Field(description="Share of the stride, 0-1.")
    right_swing_fraction: Optional[float] = Field(description="Share of the stride, 0-1.")
    cadence_steps_per_min: Optional[float] = Field(description="Steps per minute.")
    cadence_source: Optional[Literal["events", "step_rhythm"]]
    stride_time_s: Optional[float] = Field(description="Median stride time, s.")
    stride_time_cv: Optional[float] = Field(description="Coefficient of variation, 0-1.")
    step_count: int = Field(description="Heel strikes of both legs.")


class KneeThreshold(Contract):
    """The knee's two thresholds, deg of flexion."""

    hyperextension_below_deg: float
    excess_flexion_above_deg: float


class PhenomenologyMeasure(Contract):
    """One phenomenology measure of one leg; ``value`` null (with ``reason``) when unmeasurable.

    The optional fields appear only on the measures that have them.
    """

    value: Optional[float] = Field(description="In ``unit``.")
    unit: Literal["deg", "leglen", "fraction"] = Field(description="leglen = leg lengths.")
    present: Optional[bool]
    threshold: Union[float, KneeThreshold] = Field(description="In ``unit``.")
    reason: Optional[str] = Field(None, description="Why the value is null.")
    stride_fraction: Optional[float] = Field(
        None, description="Share of strides past the threshold, 0-1 (postures)."
    )
    swing_deg: Optional[float] = Field(None, description="Median in swing, deg (equinus).")
    note: Optional[str] = None
    hs_deg: Optional[float] = Field(None, description="Median at heel strike, deg (knee).")
    hyperextension: Optional[bool] = None
    excess_flexion: Optional[bool] = None
    band_hz: Optional[Interval] = Field(None, description="Tremor band [low, high], Hz.")
    irregularity: Optional[float] = Field(
        None, description="Spectral flatness in the tremor band, 0-1 (1 = irregular)."
    )
    kind: Optional[Literal["sustained", "intermittent", "none"]] = Field(
        None, description="Pattern of the postures."
    )


class Phenomenology(Contract):
    """Dystonic features of one leg (``posescore.phenomenology.PHENOMENOLOGY``)."""

    equinus: PhenomenologyMeasure
    foot_inversion: PhenomenologyMeasure
    striatal_toe: PhenomenologyMeasure
    knee: PhenomenologyMeasure
    hip_circumduction: PhenomenologyMeasure
    tremor: PhenomenologyMeasure
    pattern: PhenomenologyMeasure
    overflow: PhenomenologyMeasure


class Deviation(Contract):
    """Signed robust z of one measure; null where the view cannot show it."""

    from_healthy_z: Optional[float]
    from_other_leg_z: Optional[float]


Finding = Literal["unbacked_severity", "unread_abnormality", "outside_training_support", "far_leg"]


class Abnormality(Contract):
    """The cross-check of the leg's severity against its own measures."""

    measures_outside_normal_range: dict[str, float] = Field(
        description="Measure -> the larger |z| (from healthy walking or the other leg)."
    )
    agreement: Literal["agree", "disagree"]
    findings: list[Finding]
    deviations: dict[str, Deviation]


class LegResult(Contract):
    """Severity of one leg on the 0-4 scale; null when the video is not scorable."""

    severity: Optional[float] = Field(description="0-4.")
    severity_class: Optional[int] = Field(description="Most probable class, 0-4.")
    severity_interval: Optional[Interval] = Field(description="[low, high], 0-4.")
    probabilities: Optional[list[float]] = Field(description="Per class 0-4, summing to 1.")
    phenomenology: Phenomenology
    abnormality: Optional[Abnormality]


class Legs(Contract):
    """Both legs."""

    left: LegResult
    right: LegResult


class ModelBlock(Contract):
    """The severity model, from its card."""

    name: str
    version: Optional[str]
    trained_on: str = Field(description="phantom, clinical, ... or unknown.")
    clinically_validated: bool
    sha256: Optional[str]
    interval_coverage: Optional[float] = Field(description="Nominal interval coverage, 0-1.")
    notice: str


class BatchStamp(Contract):
    """How a batch run scored the video (``posescore batch`` only)."""

    run_id: str
    scored_at: str = Field(description="UTC, ISO 8601.")
    extractor: str = Field(description="Pose extractor settings (the cache key).")
    model_sha256: Optional[str]


class Score(Contract):
    """Everything ``posescore score`` reports for one video."""

    schema_version: Literal[SCHEMA_VERSION]  # type: ignore[valid-type]
    posescore_version: str
    video: VideoInfo
    task: Literal[TASKS]  # type: ignore[valid-type]
    view: Literal[VIEWS]  # type: ignore[valid-type]
    quality: Quality
    gait: Gait
    legs: Legs
    affected_side: Optional[Literal["left", "right", "both", "none"]] = Field(
        description="Null when not scorable."
    )
    features: dict[str, Optional[float]] = Field(
        description="Per-video features, unit in the name (posescore.features.FEATURES)."
    )
    model: ModelBlock
    timings: dict[str, float] = Field(description="Stage -> wall time, s.")
    pose_from_cache: bool
    strides: dict[Side, dict[str, list[Optional[float]]]] = Field(
        description="Per leg, measure -> one value per complete stride (null: unmeasurable)."
    )
    batch: Optional[BatchStamp] = None
