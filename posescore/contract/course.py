"""Treatment courses (``posescore course``) and task profiles (``posescore profile``)."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import ConfigDict, Field

from posescore.constants import Side
from posescore.contract.base import Contract
from posescore.contract.score import Interval, ModelBlock

COURSE_SCHEMA = "posescore-course/2"

Phase = Literal["pre", "post"]


class SessionRow(Contract):
    """One scored video of the longitudinal table; then every per-video feature by name."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Optional[float]]  # the features (posescore.features.FEATURES)

    patient_id: str = Field(description="A pseudonym, as given in the manifest.")
    session: Union[int, float]
    date: str
    phase: Phase
    task: str
    video: Optional[str] = Field(None, description="Only when paths are asked for.")
    scorable: bool
    left_severity: Optional[float] = Field(description="0-4.")
    right_severity: Optional[float] = Field(description="0-4.")
    affected_side: Optional[str]
    view: Optional[str]
    error: str = Field(description="Why the video could not be scored; empty when it was.")


class Trend(Contract):
    """Linear trend of one measure across sessions of one patient, phase and task."""

    patient_id: str
    phase: Phase
    task: str
    measure: str
    unit: str = Field(description="0-4 for severities, else the feature's unit.")
    slope_per_session: Optional[float] = Field(description="OLS slope, ``unit`` per session.")
    ci95: Optional[Interval] = Field(description="95% t-interval of the slope.")
    p_value: Optional[float]
    intercept: Optional[float] = Field(description="In ``unit``.")
    n_sessions: int
    direction: Literal["decreasing", "increasing", "no clear trend"]


class SessionChange(Contract):
    """Post - pre severity of one session and task, 0-4 scale."""

    patient_id: str
    task: str
    session: Union[int, float]
    left_severity_change: Optional[float]
    right_severity_change: Optional[float]


class Course(Contract):
    """Longitudinal table, trends and within-session changes."""

    schema_: Literal[COURSE_SCHEMA] = Field(alias="schema")  # type: ignore[valid-type]
    summary: list[str] = Field(default_factory=list, description="Plain-language sentences: "
                               "each leg's severity trend, then the model's standing.")
    sessions: list[SessionRow]
    trends: list[Trend]
    changes: list[SessionChange]
    model: Optional[ModelBlock] = Field(description="Of the first scored video; null if none.")


class ProfileLeg(Contract):
    """Task-specificity of one leg."""

    posture_by_task: dict[str, Optional[bool]] = Field(description="Null: not assessable.")
    provoking_tasks: list[str]
    provoking_factor: Optional[int] = Field(description="BFMDRS-style, 0-4.")
    severity: Optional[float] = Field(description="Largest over the tasks, 0-4.")
    severity_task: Optional[str]
    leg_item: Optional[float] = Field(description="severity x provoking_factor, 0-16.")


class Profile(Contract):
    """Task profile of a session (``posescore.profile.profile_session``)."""

    tasks: dict[str, Optional[str]] = Field(description="Task -> scored video path.")
    legs: dict[Side, ProfileLeg]
    scale: str
