"""Task-specificity across a session's task videos: BFMDRS-style provoking factor and leg item.

A session may hold several task videos (walk forward, walk backward, run, heel-toe tapping,
stand). Each is scored on its own (:func:`posescore.score.score_video`); this module decides,
per leg, in which tasks the dystonic posture is present and derives

- the provoking factor (0-4): 0 no posture in any task; 1 posture in one action task only
  (task-specific, e.g. present walking forward, absent walking backward); 2 in two or more
  action tasks; 3 intermittently at rest (``stand``, posture in some but fewer than
  ``phenomenology.sustained_fraction`` of the windows); 4 sustained at rest. "Actions of
  other body parts" (the scale's 3) are not filmed and so never inferred.
- the leg item = severity x provoking (0-16), with the severity the largest over the tasks.

The posture of a leg in a task is its ``phenomenology.pattern.present`` flag (equinus,
inversion or striatal-toe proxy in at least ``phenomenology.posture_present_fraction`` of
strides); when the view or video cannot show any posture, the model severity decides
(``>= model.affected_threshold``), and when neither is available the task does not count.

References
----------
Burke RE, Fahn S, Marsden CD, et al. Validity and reliability of a rating scale for the
primary torsion dystonias. Neurology 1985;35:73-77.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, TypeVar

from posescore.config import Settings
from posescore.constants import SIDES, TASKS
from posescore.contract import Profile, Score
from posescore.contract.score import LegResult
from posescore.errors import PosescoreError
from posescore.manifest import Column
from posescore.manifest import read_manifest as read_csv_manifest
from posescore.runner import run_items

T = TypeVar("T")

REST_TASKS: tuple[str, ...] = ("stand",)
"""Tasks recorded at rest; every other task in :data:`TASKS` is an action."""


def posture_in_task(leg: LegResult, affected_threshold: float) -> Optional[bool]:
    """Whether one leg shows the dystonic posture in one scored task video.

    Parameters
    ----------
    leg : LegResult
        One leg of the score.
    affected_threshold : float
        Severity (0-4) from which the model's score counts as posture when the
        phenomenology cannot tell.

    Returns
    -------
    bool or None
        None when neither the phenomenology nor a severity is available.
    """
    present = leg.phenomenology.pattern.present
    if present is not None:
        return present
    if leg.severity is not None:
        return leg.severity >= affected_threshold
    return None


def provoking_factor(
    posture_by_task: Mapping[str, Optional[bool]],
    rest_fraction: Optional[float] = None,
    sustained_fraction: float = 0.8,
) -> Optional[int]:
    """BFMDRS-style provoking factor of one leg from the tasks recorded.

    Parameters
    ----------
    posture_by_task : mapping
        Task name -> posture present (None = not assessable).
    rest_fraction : float, optional
        Fraction of rest windows with the posture (``pattern.value`` of the rest task);
        decides 3 (intermittent) vs 4 (sustained) at rest. None = sustained.
    sustained_fraction : float
        Fraction from which rest posture counts as sustained.

    Returns
    -------
    int or None
        0-4, or None when no task was assessable.
    """
    known = {t: p for t, p in posture_by_task.items() if p is not None}
    if not known:
        return None
    if any(p for t, p in known.items() if t in REST_TASKS):
        if rest_fraction is not None and rest_fraction < sustained_fraction:
            return 3
        return 4
    n_actions = sum(1 for t, p in known.items() if p and t not in REST_TASKS)
    if n_actions == 0:
        return 0
    return 1 if n_actions == 1 else 2


def profile_session(
    results: Sequence[tuple[str, Score]], settings: Settings = Settings()
) -> dict[str, Any]:
    """Task profile of a session.

    Parameters
    ----------
    results : sequence of (task, Score)
        The scored videos.
    settings : Settings
        ``model.affected_threshold`` and ``phenomenology.sustained_fraction``.

    Returns
    -------
    dict
        The JSON of :class:`posescore.contract.Profile`: ``tasks`` (task -> video path), and
        per leg under ``legs.<side>``:
        ``posture_by_task`` (task -> bool or None), ``provoking_factor`` (0-4 or None),
        ``provoking_tasks`` (tasks with the posture), ``severity`` (largest over tasks, or
        None), ``severity_task`` and ``leg_item`` (severity x provoking, 0-16, or None).
    """
    for task, _ in results:
        if task not in TASKS:
            raise PosescoreError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    thr = settings.model.affected_threshold
    legs: dict[str, Any] = {}
    for side in SIDES:
        posture: dict[str, Optional[bool]] = {}
        rest_fraction: Optional[float] = None
        severity: Optional[float] = None
        severity_task: Optional[str] = None
        for task, result in results:
            leg: LegResult = getattr(result.legs, side)
            p = posture_in_task(leg, thr)
            # a task filmed twice counts as present if any video shows the posture
            prev = posture.get(task)
            posture[task] = p if prev is None else (prev or bool(p))
            if task in REST_TASKS and p:
                rest_fraction = leg.phenomenology.pattern.value
            s = leg.severity
            if s is not None and (severity is None or s > severity):
                severity, severity_task = s, task
        factor = provoking_factor(posture, rest_fraction, settings.phenomenology.sustained_fraction)
        item = (
            round(severity * factor, 3) if severity is not None and factor is not None else None
        )
        legs[side] = {
            "posture_by_task": posture,
            "provoking_tasks": [t for t, p in posture.items() if p],
            "provoking_factor": factor,
            "severity": severity,
            "severity_task": severity_task,
            "leg_item": item,
        }
    return Profile.model_validate({
        "tasks": {task: result.video.path for task, result in results},
        "legs": legs,
        "scale": "BFMDRS-like leg item = severity (0-4) x provoking factor (0-4)",
    }).to_json()


MANIFEST_COLUMNS = (Column("video", "path"), Column("task", "choice", choices=TASKS))
"""Columns of a session manifest."""


def read_manifest(path: str | Path) -> list[tuple[str, Path]]:
    """Read a session manifest CSV with columns ``video`` and ``task``.

    Relative video paths are taken relative to the manifest's folder.

    Raises
    ------
    ManifestError
        Missing file or columns, empty video, unknown task, naming the line and column.
    """
    return [(row["task"], row["video"]) for row in read_csv_manifest(path, MANIFEST_COLUMNS).rows]


def score_tasks(
    pairs: Sequence[tuple[str, T]], score: Callable[[T, str], Score]
) -> list[tuple[str, Score]]:
    """Score each ``(task, video)`` of a session with ``score(video, task)``, in order.

    A failing video ends the profile (its error is raised): a session needs every task.
    """
    outcomes = run_items(lambda pair: score(pair[1], pair[0]), pairs, catch=())
    return [(task, outcome.value) for (task, _), outcome in zip(pairs, outcomes)]
