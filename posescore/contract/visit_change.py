"""Two visits compared, and a course of visits (``posescore.visit_change``).

``posescore compare VISIT VISIT`` and ``posescore course`` with a ``visit`` column.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field

from posescore.constants import Side
from posescore.contract.base import Contract
from posescore.contract.compare import Direction
from posescore.contract.course import Phase, Trend
from posescore.contract.score import Interval, ModelBlock

VISIT_COMPARE_SCHEMA = "posescore-visit-compare/1"
VISIT_COURSE_SCHEMA = "posescore-visit-course/1"


class VisitNoise(Contract):
    """The noise a change of a fused visit severity is judged against."""

    mdc95: float = Field(description="Minimal detectable change (95 %) of a fused leg "
                         "severity, 0-4 scale, measured on test-retest phantom visits.")
    reference_halfwidth: float = Field(
        description="Median half-width of the fused 90 % interval in those visits, 0-4.")
    source: str = Field(description="The command that measured both.")
    method: str


class VisitLegChange(Contract):
    """One leg's fused severity in two visits and whether it changed beyond noise."""

    pre: Optional[float] = Field(description="Fused severity of the first visit, 0-4.")
    post: Optional[float] = Field(description="Fused severity of the second visit, 0-4.")
    pre_interval: Optional[Interval] = Field(description="Its fused 90 % interval, 0-4.")
    post_interval: Optional[Interval] = Field(description="Its fused 90 % interval, 0-4.")
    change: Optional[float] = Field(description="post - pre; null unless judged in both.")
    mdc95: Optional[float] = Field(
        description="The change noise can make for this leg: noise.mdc95, scaled up when the "
        "two fused intervals are wider than noise.reference_halfwidth; 0-4.")
    beyond_noise: bool = Field(description="|change| > mdc95.")
    direction: Direction
    reason: str


class VisitInfo(Contract):
    """One visit of a comparison or course."""

    label: str = Field(description="Manifest or folder name, or the visit's place.")
    n_clips: int
    n_scorable: int
    affected_side: Optional[str]


class VisitComparison(Contract):
    """Two visits of one person, leg by leg (``visit_change.compare_visits``)."""

    schema_: Literal[VISIT_COMPARE_SCHEMA] = Field(alias="schema")  # type: ignore[valid-type]
    summary: list[str] = Field(description="Plain-language sentences, leg by leg, then the "
                               "model's standing.")
    pre: VisitInfo
    post: VisitInfo
    legs: dict[Side, VisitLegChange]
    noise: VisitNoise
    model: Optional[ModelBlock] = Field(description="Of the second visit (else the first).")


class VisitRow(Contract):
    """One visit of a course: the manifest's fields and each leg's fused severity."""

    patient_id: str
    session: Union[int, float]
    date: str
    phase: Phase
    visit: VisitInfo
    left_severity: Optional[float] = Field(description="Fused, 0-4.")
    left_interval: Optional[Interval]
    right_severity: Optional[float] = Field(description="Fused, 0-4.")
    right_interval: Optional[Interval]
    error: str = Field(description="Why the visit could not be read; empty when it was.")


class VisitSessionChange(Contract):
    """Post - pre of one session's visits, leg by leg."""

    patient_id: str
    session: Union[int, float]
    legs: dict[Side, VisitLegChange]


class VisitCourse(Contract):
    """A course of visits: per-visit fused severities, trends, per-session changes."""

    schema_: Literal[VISIT_COURSE_SCHEMA] = Field(alias="schema")  # type: ignore[valid-type]
    summary: list[str] = Field(description="Plain-language sentences: each leg's trend per "
                               "patient and phase, then the model's standing.")
    visits: list[VisitRow]
    trends: list[Trend] = Field(description="Of left_severity and right_severity per patient "
                                "and phase; task is 'visit'.")
    changes: list[VisitSessionChange]
    noise: VisitNoise
    model: Optional[ModelBlock] = Field(description="Of the first scored visit; null if none.")
