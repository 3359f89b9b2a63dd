"""The service's pre/post comparison: ``posescore.compare.compare_results`` and its shape.

The numbers are those of ``posescore compare`` (bootstrap 95% CIs over strides, Hedges' g,
MDC95 from the packaged test-retest table, a ``beyond_noise`` verdict per leg and feature),
computed with the service's model and a fixed seed, so a comparison is reproducible and is
computed once and stored. The pydantic models below document the answer in OpenAPI and are
the only fields the API returns: the video paths are never asked for (``include_paths`` off)
and a field without a model here (a path added upstream, say) is dropped, not passed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

from posescore.compare import compare_results
from posescore.model import LoadedModel

N_BOOT = 2000
"""Bootstrap resamples per session (severity uses at most 500, see ``compare_results``)."""
SEED = 0
"""Bootstrap seed: the same pair of scores always gives the same intervals."""


class SessionInfo(BaseModel):
    """One side of the comparison; never a path or a file name."""

    sha256: Optional[str] = Field(description="SHA-256 of the scored video file.")
    duration_s: Optional[float]
    task: Optional[str]
    view: Optional[str]
    scorable: Optional[bool]
    n_strides: dict[str, int] = Field(description="Complete strides per leg (left, right).")


class LegChange(BaseModel):
    """Severity change of one leg (0-4 scale), post - pre."""

    pre: Optional[float]
    post: Optional[float]
    change: Optional[float] = Field(description="post - pre; null if a video was not scorable.")
    ci95: Optional[list[float]] = Field(
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
    direction: str = Field(description="increase, decrease, no change beyond noise, ...")
    reason: str


class Legs(BaseModel):
    """Severity change per leg."""

    left: LegChange
    right: LegChange


class FeatureChange(BaseModel):
    """Change of one per-leg measure, in its own unit, from per-stride values."""

    name: str
    side: str
    measure: str
    unit: str
    pre: Optional[float]
    post: Optional[float]
    change: Optional[float]
    ci95: Optional[list[float]]
    effect_size_g: Optional[float] = Field(description="Hedges' g of the per-stride values.")
    mdc95: Optional[float]
    n_strides_pre: int
    n_strides_post: int
    beyond_noise: bool
    direction: str
    reason: str


class ModelInfo(BaseModel):
    """The severity model that re-predicted both sessions."""

    name: Optional[str]
    sha256: Optional[str]
    trained_on: Optional[str]
    clinically_validated: bool


class Bootstrap(BaseModel):
    """How the intervals were computed."""

    n_resamples: int
    n_resamples_severity: int
    seed: int
    method: str


class Mdc(BaseModel):
    """Where the MDC95 values come from (test-retest phantom pairs)."""

    source: str
    method: Optional[str]
    n_pairs: Optional[int]
    clip: Optional[dict[str, Any]]
    severity: dict[str, Any] = Field(
        description="Severity MDC95 and SEM of the model in use, pooled and per leg class."
    )


class AffectedSide(BaseModel):
    """The affected side each score reports (null when none is)."""

    pre: Optional[str]
    post: Optional[str]


class ComparisonResult(BaseModel):
    """A pre/post comparison (``posescore.compare.compare_results``, schema posescore-compare/1)."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(alias="schema", description="posescore-compare/1")
    pre: SessionInfo
    post: SessionInfo
    affected_side: AffectedSide
    legs: Legs
    features: list[FeatureChange]
    model: ModelInfo
    bootstrap: Bootstrap
    mdc: Mdc
    warnings: list[str]


def compare_scores(
    pre: Mapping[str, Any], post: Mapping[str, Any], model: LoadedModel, min_strides: int
) -> dict[str, Any]:
    """Compare two scores as the service reports it.

    Parameters
    ----------
    pre, post : mapping
        Scores in the JSON contract (``ScoreResult.to_dict()``, with ``strides``).
    model : LoadedModel
        The service's severity model (needed for the severity CI and MDC95).
    min_strides : int
        Fewest finite strides for a measure (``settings.feature.min_strides``).

    Returns
    -------
    dict
        The JSON of :class:`ComparisonResult`.

    Raises
    ------
    posescore.errors.PosescoreError
        A score without per-stride values (scored by an older posescore).

    """
    out = compare_results(
        pre, post, model=model, n_boot=N_BOOT, seed=SEED, min_strides=min_strides,
        include_paths=False,
    )
    out["affected_side"] = {"pre": pre.get("affected_side"), "post": post.get("affected_side")}
    return ComparisonResult.model_validate(out).model_dump(mode="json", by_alias=True)
