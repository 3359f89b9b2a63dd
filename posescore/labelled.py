"""Labelled videos: rated by a clinic's CSV, a phantom set's manifest or truth sidecars.

``read_ratings`` reads a ratings CSV (or a phantom data set's manifest, which has the same
columns) through :mod:`posescore.manifest`; ``labelled_folder`` finds a folder's labels;
``featurise`` measures every labelled video (pose from the cache after the first run) on
the runner, and ``design_matrix`` turns the features into the model's leg rows.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from posescore.config import Settings
from posescore.constants import SIDES
from posescore.errors import PosescoreError
from posescore.manifest import Column, ManifestError, ManifestRow, read_manifest
from posescore.model_design import leg_rows
from posescore.pose import extract_pose_meta
from posescore.runner import run_items
from posescore.score import assess_measured, measure_pose

logger = logging.getLogger(__name__)

RatingsError = ManifestError
"""A ratings CSV is malformed (or too small to train on); the message names the line."""

LOOK_COLUMNS = ("site", "expression_family", "family")
"""Optional ratings columns naming a video's cross-validation group (first present wins): a
clinic's site or camera set-up; in a phantom data set's manifest, the expression family of
the disease (``phantom.expression``; held out whole to measure transfer to unseen
expressions), else the look family."""

RATING_COLUMNS = (
    Column("video", "path", must_exist=True),
    Column("subject_id"),
    *(Column(f"{side}_severity", "number", bounds=(0.0, 4.0)) for side in SIDES),
    Column("task", required=False, default="walk_forward"),
    Column("rater", required=False, default=""),
    *(Column(name, required=False, default="") for name in LOOK_COLUMNS),
)
"""Columns of a ratings CSV: severities on the 0-4 scale, paths from the CSV's folder."""


@dataclass(frozen=True)
class RatedVideo:
    """A video with its severity per leg (mean over raters) and each rater's scores."""

    path: Path
    subject_id: str
    severity: dict[str, float]
    task: str = "walk_forward"
    raters: dict[str, dict[str, float]] = field(default_factory=dict)
    look: str = ""
    """Look group (site, camera set-up, phantom look family); empty when unknown."""


@dataclass(frozen=True)
class LabelledFeatures:
    """Features of one rated video."""

    video: RatedVideo
    view: str
    features: dict[str, Optional[float]]
    scorable: bool = True
    """Whether ``posescore score`` gives this video a score (``quality.scorable``)."""


def read_ratings(csv_path: str | Path) -> list[RatedVideo]:
    """Read ``video, subject_id, left_severity, right_severity[, task, rater, site]``.

    Video paths are relative to the CSV's folder. Several rows for one video (several
    raters) are averaged; each rater's scores are kept for agreement statistics. The
    optional ``site`` column (or a phantom manifest's ``family``, see ``LOOK_COLUMNS``)
    names the video's look group for cross-validation.

    Raises
    ------
    RatingsError
        Missing columns, empty subject, unknown video, non-numeric or out-of-range rating,
        naming the line (the header is line 1).
    """
    manifest = read_manifest(csv_path, RATING_COLUMNS, what="ratings")
    look_column = next((c for c in LOOK_COLUMNS if c in manifest.columns), None)
    grouped: dict[Path, list[ManifestRow]] = defaultdict(list)
    for row in manifest.rows:
        grouped[row["video"].resolve()].append(row)
    videos = []
    for path, rows in grouped.items():
        subjects = {row["subject_id"] for row in rows}
        if len(subjects) > 1:
            raise rows[1].error(f"{path.name} has several subject_ids")
        raters = {row["rater"] or f"rater{k + 1}": {side: row[f"{side}_severity"]
                                                    for side in SIDES}
                  for k, row in enumerate(rows)}
        mean = {side: float(np.mean([r[side] for r in raters.values()])) for side in SIDES}
        look = rows[0][look_column] if look_column else ""
        videos.append(RatedVideo(path, subjects.pop(), mean, rows[0]["task"], raters, look))
    return videos


def phantom_rated_videos(folder: str | Path) -> list[RatedVideo]:
    """Videos of a folder with phantom ``*.truth.json`` sidecars, rated by their truth."""
    out = []
    for truth_path in sorted(Path(folder).rglob("*.truth.json")):
        video = truth_path.with_name(truth_path.name[: -len(".truth.json")] + ".mp4")
        if not video.is_file():
            continue
        truth = json.loads(truth_path.read_text())
        severity = {side: float(truth["severity"][side]) for side in SIDES}
        seed = truth.get("params", {}).get("seed", video.stem)
        family = truth.get("family")
        look = "" if family is None else str(family)
        out.append(RatedVideo(video, f"phantom-seed-{seed}", severity,
                              raters={"truth": severity}, look=look))
    return out


def labelled_folder(folder: str | Path) -> list[RatedVideo]:
    """A folder's ``ratings.csv`` or data set ``manifest.csv``, else its truth sidecars."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PosescoreError(f"not a folder: {folder}")
    for name in ("ratings.csv", "manifest.csv"):
        if (folder / name).is_file():
            return read_ratings(folder / name)
    videos = phantom_rated_videos(folder)
    if not videos:
        raise PosescoreError(f"{folder} has neither ratings.csv nor phantom *.truth.json files")
    return videos


def _featurise_one(args: tuple[RatedVideo, Settings]) -> LabelledFeatures:
    video, settings = args
    pose, _, meta = extract_pose_meta(video.path, settings)
    measured = measure_pose(pose, settings)
    quality = assess_measured(measured.timed_pose or pose, measured, settings, meta.luma)[3]
    return LabelledFeatures(video, measured.traj.view, measured.features, quality.scorable)


def scorable_only(data: Sequence[LabelledFeatures], what: str) -> list[LabelledFeatures]:
    """The videos ``posescore score`` would score; the rest are left out, with a log line.

    A video the product refuses to score (``quality.scorable`` false) neither trains a model
    nor counts in its evaluation: its features are mostly missing, and the product gives no
    number for it. Raises when there were videos and none is left.
    """
    kept = [d for d in data if d.scorable]
    if len(kept) < len(data):
        logger.warning("%d of %d %s videos are not scorable and are left out",
                       len(data) - len(kept), len(data), what)
    if data and not kept:
        raise PosescoreError(f"none of the {len(data)} {what} videos is scorable")
    return kept


def featurise(
    videos: Sequence[RatedVideo], settings: Settings, workers: int = 2
) -> list[LabelledFeatures]:
    """Features of every video, in ``workers`` processes; a video that fails is skipped."""
    outcomes = run_items(_featurise_one, [(v, settings) for v in videos], workers=workers,
                         catch=(PosescoreError,))
    for outcome in outcomes:
        if not outcome.ok:
            logger.warning("skipping a training video: %s", outcome.error)
    return [outcome.value for outcome in outcomes if outcome.value is not None]


def design_matrix(
    data: Sequence[LabelledFeatures], measures: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leg rows X (2n, p), severities y (2n,) and subject groups (2n,)."""
    X = np.vstack([leg_rows(d.features, d.view, measures) for d in data])
    y = np.array([d.video.severity[side] for d in data for side in SIDES])
    groups = np.array([d.video.subject_id for d in data for _ in SIDES])
    return X, y, groups
