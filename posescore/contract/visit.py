"""A visit's clips fused per leg (``posescore visit``, ``posescore.visit.build_visit``)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from posescore.constants import Side
from posescore.contract.base import Contract
from posescore.contract.score import Interval, ModelBlock, Phenomenology

VISIT_SCHEMA = "posescore-visit/1"


class VisitClipRow(Contract):
    """One clip of the visit and what became of it."""

    video: str = Field(description="File name (no folder).")
    task: str
    view_stated: Optional[str] = Field(description="The view the manifest gave; null = detected.")
    view: Optional[str] = Field(description="The view scored; null when the clip failed.")
    scorable: bool
    error: Optional[str] = Field(description="Why the clip could not be scored at all.")


class ClipContribution(Contract):
    """What one scorable clip gave a leg in one task, and its weight in the fusion."""

    video: str
    view: str
    weight: float = Field(description="Share of the fused severity, 0-1 (sums to 1 per task).")
    severity: Optional[float] = Field(description="0-4; null when this clip could not score it.")
    severity_interval: Optional[Interval] = Field(description="[low, high], 0-4.")
    phenomenology: Phenomenology = Field(description="The leg's postures as this view saw them.")


class TaskFusion(Contract):
    """A leg's severity in one task, fused over the task's clips."""

    severity: Optional[float] = Field(description="0-4; null when no clip scored the leg.")
    severity_interval: Optional[Interval] = Field(
        description="[low, high], 0-4: 90 %, the clips' errors assumed correlated "
        "(fusion.error_correlation).")
    clips: list[ClipContribution]


class VisitLeg(Contract):
    """One leg over the visit."""

    severity: Optional[float] = Field(description="Largest fused severity over the tasks, 0-4.")
    severity_interval: Optional[Interval] = Field(description="That task's interval, 0-4.")
    severity_task: Optional[str]
    judged: bool = Field(description="False when no clip of the visit could score this leg.")
    reason: Optional[str] = Field(description="Why the leg was not judged.")
    provoking_factor: Optional[int] = Field(description="BFMDRS-style, 0-4 (as `profile`).")
    provoking_tasks: list[str]
    leg_item: Optional[float] = Field(description="severity x provoking factor, 0-16.")
    by_task: dict[str, TaskFusion]


class Fusion(Contract):
    """How the clips were fused."""

    error_correlation: float = Field(description="Assumed correlation of two clips' errors.")
    method: str


class Visit(Contract):
    """A visit: its clips and each leg's fused severity."""

    schema_: Literal[VISIT_SCHEMA] = Field(alias="schema")  # type: ignore[valid-type]
    summary: list[str] = Field(default_factory=list, description="Plain-language sentences, "
                               "leg by leg, then the model's standing.")
    clips: list[VisitClipRow]
    legs: dict[Side, VisitLeg]
    affected_side: Optional[Literal["left", "right", "both", "none"]] = Field(
        description="Null when a leg could not be judged.")
    model: Optional[ModelBlock] = Field(description="Null when no clip was scorable.")
    fusion: Fusion
