"""A pre/post comparison of two scores (``posescore compare``, ``/v1/comparisons``)."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field

from posescore.constants import Side
from posescore.contract.base import Contract
from posescore.contract.notices import Notice
from posescore.contract.score import Interval, ModelBlock

COMPARE_SCHEMA = "posescore-compare/2"

Direction = Literal["increase", "decrease", "no change beyond noise", "not assessable"]


class SessionInfo(Contract):
    """One side of the comparison; the path only when asked for (never by the service)."""

    sha256: Optional[str] = Field(description="SHA-256 of the scored video file.")
    duration_s: Optional[float] = Field(description="s.")
    task: Optional[str]
    view: Optional[str]
    scorable: Optional[bool]
    n_strides: dict[Side, int] = Field(description="Complete strides per leg.")
    path: Optional[str] = Field(None, description="Only when asked for (never by the service).")


class LegChange(Contract):
    """Severity change of one leg (0-4 scale), post - pre."""

    pre: Optional[float] = Field(description="0-4.")
    post: Optional[float] = Field(description="0-4.")
    change: Optional[float] = Field(description="post - pre; null if a video was not scorable.")
    ci95: Optional[Interval] = Field(
        description="Bootstrap 95% interval [low, high] of the change; null if not assessable."
    )
    effect_size_sem: Optional[float] = Field(
        description="change / test-retest standard error of measurement."
    )
    mdc95: Optional[float] = Field(description="Minimal detectable change (95%) of this leg.")
    mdc_class: Optional[str] = Field(
        description="Leg class the MDC95 is measured for: near, far (side view) or frontal."
    )
    beyond_noise: bool = Field(
        description="CI excludes 0, |change| > MDC95 and one of the leg's own measures "
        "changed beyond noise."
    )
    direction: Direction
    reason: str


class LegChanges(Contract):
    """Severity change per leg."""

    left: LegChange
    right: LegChange


class FeatureChange(Contract):
    """Change of one per-leg measure, in its own unit, from per-stride values."""

    name: str = Field(description="<side>_<measure>, unit in the name.")
    side: Side
    measure: str
    unit: str
    pre: Optional[float] = Field(description="In ``unit``.")
    post: Optional[float] = Field(description="In ``unit``.")
    change: Optional[float] = Field(description="post - pre, in ``unit``.")
    ci95: Optional[Interval] = Field(description="Bootstrap 95% interval, in ``unit``.")
    effect_size_g: Optional[float] = Field(description="Hedges' g of the per-stride values.")
    mdc95: Optional[float] = Field(description="In ``unit``.")
    n_strides_pre: int
    n_strides_post: int
    beyond_noise: bool
    direction: Direction
    reason: str


class ComparisonModel(Contract):
    """The severity model that re-predicted both sessions."""

    name: Optional[str]
    sha256: Optional[str]
    trained_on: Optional[str]
    clinically_validated: bool


class Bootstrap(Contract):
    """How the intervals were computed."""

    n_resamples: int
    n_resamples_severity: int
    seed: int
    method: str


class NoiseEntry(Contract):
    """Test-retest noise of the severity; null when fewer than 3 differences."""

    mdc95: Optional[float] = Field(description="0-4 scale.")
    sem: Optional[float] = Field(description="0-4 scale.")
    n_diffs: int


class SeverityNoise(NoiseEntry):
    """Pooled, and per leg class (near, far, frontal) once a model is given."""

    by_class: Optional[dict[str, NoiseEntry]] = None


class Mdc(Contract):
    """Where the MDC95 values come from (test-retest phantom pairs)."""

    source: str
    method: Optional[str]
    n_pairs: Optional[int]
    clip: Optional[dict[str, Union[float, list[int]]]] = Field(
        description="The clips measured: duration_s, fps (frames/s), size [width, height] px."
    )
    severity: SeverityNoise


class AffectedSide(Contract):
    """The affected side each score reports (null when not scorable)."""

    pre: Optional[str]
    post: Optional[str]


class Comparison(Contract):
    """A pre/post comparison (``posescore.compare.compare_results``)."""

    schema_: Literal[COMPARE_SCHEMA] = Field(alias="schema")  # type: ignore[valid-type]
    summary: list[str] = Field(default_factory=list, description="Plain-language sentences, "
                               "leg by leg, then the model's standing.")
    pre: SessionInfo
    post: SessionInfo
    affected_side: AffectedSide
    legs: LegChanges
    features: list[FeatureChange]
    model: Union[ComparisonModel, ModelBlock] = Field(
        description="The model given, else the post score's model block."
    )
    bootstrap: Bootstrap
    mdc: Mdc
    warnings: list[Notice]
