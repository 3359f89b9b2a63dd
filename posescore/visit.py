"""A visit: the clips of one session (several views, several tasks) scored as one.

Each clip is scored on its own (``score.score_video``, with the view the filmer stated, if
any). Per leg and task, the clips' severities are fused (``fusion.fuse_leg``): each clip is
weighted by its own interval, so a narrow near-leg reading counts more than a frontal or
posterior view's, which adds what a side view cannot see (inversion, circumduction). The far
leg of a side view counts only when no other clip sees that leg. The leg's visit severity is
its largest fused severity over the tasks, and the provoking factor and the BFMDRS-style leg
item come from the tasks as in ``profile``. A leg that no clip could score is reported with
no number and the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from posescore.batch import find_videos
from posescore.config import Settings
from posescore.constants import SIDES, TASKS, VIEWS, is_far_leg
from posescore.contract.notices import NoticeCode
from posescore.contract.score import Score
from posescore.contract.visit import (
    VISIT_SCHEMA,
    ClipContribution,
    Fusion,
    TaskFusion,
    Visit,
    VisitClipRow,
    VisitLeg,
)
from posescore.errors import PosescoreError
from posescore.fusion import ClipReading, fuse_leg
from posescore.manifest import Column, read_manifest
from posescore.plain import model_sentence, severity_sentence, untrained_views_sentence
from posescore.profile import profile_session
from posescore.runner import run_items
from posescore.score import LegScore, affected_side_from

DEFAULT_TASK = "walk_forward"
MANIFEST_COLUMNS = (
    Column("video", "path"),
    Column("task", "choice", required=False, choices=TASKS, default=DEFAULT_TASK),
    Column("view", "choice", required=False, choices=VIEWS, default=None),
)
"""Columns of a visit manifest: the filmer's view when stated, else detected."""


@dataclass(frozen=True)
class VisitClip:
    """One clip of a visit: the video, its task and the view the filmer stated (None = detect)."""

    video: Path
    task: str = DEFAULT_TASK
    view: Optional[str] = None


@dataclass(frozen=True)
class ScoredClip:
    """A visit clip with its score, or the error that stopped it."""

    clip: VisitClip
    result: Optional[Score]
    error: str = ""


def read_visit(path: str | Path) -> list[VisitClip]:
    """The clips of a visit: a manifest CSV (``video``; optional ``task``, ``view``) or a folder.

    A folder's videos (``batch.find_videos``) are all ``walk_forward`` with detected views.
    Relative paths in a manifest are taken from the manifest's folder.

    Raises
    ------
    PosescoreError
        Missing path, a manifest without ``video``, an unknown task or view (naming the
        line), no clip.
    """
    p = Path(path)
    if p.is_dir():
        clips = [VisitClip(video) for video in find_videos(p)]
    elif p.is_file():
        clips = [VisitClip(row["video"], row["task"], row["view"])
                 for row in read_manifest(p, MANIFEST_COLUMNS, "visit").rows]
    else:
        raise PosescoreError(f"visit not found: {p.name} (give a manifest CSV or a folder)")
    if not clips:
        raise PosescoreError(f"visit {p.name} holds no video")
    return clips


def is_visit_source(path: str | Path) -> bool:
    """Whether ``path`` names a visit: a folder, a manifest CSV or a saved visit JSON."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() == ".csv":
        return True
    if p.suffix.lower() != ".json" or not p.is_file():
        return False
    try:
        return json.loads(p.read_text(encoding="utf-8")).get("schema") == VISIT_SCHEMA
    except (OSError, ValueError, AttributeError):
        return False


def load_visit(
    path: str | Path, settings: Settings, score: Callable[[Path, Settings, str], Score]
) -> Visit:
    """A visit from a manifest, a folder or the JSON of ``posescore visit --json``.

    Clips of a manifest or folder are scored with ``score`` (see ``score_clips``).

    Raises
    ------
    PosescoreError
        As ``read_visit``; a JSON that is not a visit.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        if not is_visit_source(p):
            raise PosescoreError(f"{p.name} is not the JSON of a visit ({VISIT_SCHEMA})")
        try:
            return Visit.model_validate_json(p.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise PosescoreError(f"{p.name} is a damaged visit JSON: "
                                 f"{exc.errors()[0]['msg']}") from None
    return build_visit(score_clips(read_visit(p), settings, score), settings)


def with_view(settings: Settings, view: Optional[str]) -> Settings:
    """``settings`` scoring a clip in the stated ``view`` (None: detected, unchanged)."""
    if view is None:
        return settings
    return settings.model_copy(update={
        "signal": settings.signal.model_copy(update={"view": view})})


def score_clips(
    clips: Sequence[VisitClip],
    settings: Settings,
    score: Callable[[Path, Settings, str], Score],
) -> list[ScoredClip]:
    """Score every clip with ``score(video, settings, task)``; a failing clip keeps its error.

    Each clip is scored with ``with_view`` of its stated view.
    """

    def score_clip(clip: VisitClip) -> Score:
        return score(clip.video, with_view(settings, clip.view), clip.task)

    outcomes = run_items(score_clip, clips, catch=(PosescoreError,))
    return [ScoredClip(o.item, o.value, o.error) for o in outcomes]


def build_visit(scored: Sequence[ScoredClip], settings: Settings) -> Visit:
    """The visit: per leg the fused severity, its interval and what each clip gave."""
    usable = [s for s in scored if s.result is not None and s.result.quality.scorable]
    results = [(s.clip.task, s.result) for s in usable]
    profile = profile_session(results, settings)  # type: ignore[arg-type]
    legs = {side: _visit_leg(side, usable, profile["legs"][side], settings) for side in SIDES}
    scores = {side: LegScore(leg.severity, None, leg.severity_interval, None)
              for side, leg in legs.items()}
    model = usable[0].result.model if usable else None  # type: ignore[union-attr]
    summary = [severity_sentence(side, leg.severity, leg.severity_interval, leg.reason or "")
               for side, leg in legs.items()]
    untrained = untrained_views_sentence(
        [(s.clip.video.name, s.result.view) for s in usable  # type: ignore[union-attr]
         if NoticeCode.VIEW_NOT_IN_TRAINING in {w.code for w in s.result.quality.warnings}])
    summary += [untrained] if untrained else []
    return Visit(
        schema=VISIT_SCHEMA,
        summary=[*summary, model_sentence(model.model_dump() if model else None)],
        clips=[_clip_row(s) for s in scored],
        legs=legs,
        affected_side=affected_side_from(scores, settings.model.affected_threshold),
        model=model,
        fusion=Fusion(error_correlation=settings.visit.error_correlation,
                      method="precision-weighted mean of the clips' severities, each clip "
                             "weighted by the larger side of its 90 % interval; the far leg of "
                             "a side view counts only when no clip sees that leg from its near "
                             "side, the front or the back (weight 0 otherwise)"),
    )


def _clip_row(s: ScoredClip) -> VisitClipRow:
    return VisitClipRow(video=s.clip.video.name, task=s.clip.task, view_stated=s.clip.view,
                        view=s.result.view if s.result else None,
                        scorable=bool(s.result and s.result.quality.scorable),
                        error=s.error or None)


def _visit_leg(
    side: str, usable: Sequence[ScoredClip], profile: Mapping[str, Any], settings: Settings
) -> VisitLeg:
    """One leg over the visit: fused per task, the largest task severity, the leg item."""
    by_task: dict[str, TaskFusion] = {}
    for task in dict.fromkeys(s.clip.task for s in usable):
        clips = [s for s in usable if s.clip.task == task]
        fused = fuse_leg([_reading(s, side) for s in _seeing(clips, side)],
                         settings.visit.error_correlation)
        by_task[task] = TaskFusion(
            severity=fused.severity,
            severity_interval=list(fused.interval) if fused.interval else None,
            clips=[_contribution(s, side, fused.weights) for s in clips],
        )
    judged = {t: v for t, v in by_task.items() if v.severity is not None}
    worst = max(judged, key=lambda t: judged[t].severity) if judged else None  # type: ignore[arg-type, return-value]
    severity = judged[worst].severity if worst else None
    factor = profile["provoking_factor"]
    return VisitLeg(
        severity=severity,
        severity_interval=judged[worst].severity_interval if worst else None,
        severity_task=worst,
        judged=worst is not None,
        reason=None if worst else "no clip of this visit could score this leg",
        provoking_factor=factor,
        provoking_tasks=profile["provoking_tasks"],
        leg_item=(round(severity * factor, 3)
                  if severity is not None and factor is not None else None),
        by_task=by_task,
    )


def _seeing(clips: Sequence[ScoredClip], side: str) -> Sequence[ScoredClip]:
    """The clips that see the leg: those where it is not a side view's far leg.

    A far leg is partly hidden; it often reads near 0 whatever its severity, with an interval
    (upper bound at least ``model.far_leg_upper``, ``crosscheck``) no wider than a frontal
    view's, so weighting by interval alone lets it pull an affected leg down. It counts only
    when no clip scored the leg from its near side, the front or the back (issue 21: each leg
    is fused from the clips that can see it).
    """

    def sees(s: ScoredClip) -> bool:
        score = s.result
        return (score is not None and not is_far_leg(score.view, side)
                and getattr(score.legs, side).severity is not None)

    return [s for s in clips if sees(s)] or clips


def _reading(s: ScoredClip, side: str) -> ClipReading:
    leg = getattr(s.result.legs, side)  # type: ignore[union-attr]
    interval = leg.severity_interval
    return ClipReading(str(s.clip.video), leg.severity, tuple(interval) if interval else None)


def _contribution(s: ScoredClip, side: str, weights: Mapping[str, float]) -> ClipContribution:
    leg = getattr(s.result.legs, side)  # type: ignore[union-attr]
    return ClipContribution(video=s.clip.video.name, view=s.result.view,  # type: ignore[union-attr]
                            weight=weights.get(str(s.clip.video), 0.0), severity=leg.severity,
                            severity_interval=leg.severity_interval,
                            phenomenology=leg.phenomenology)
