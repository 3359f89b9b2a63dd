"""Training the severity model on phantom videos whose severities are known exactly.

``train_on_phantom`` renders a varied phantom set, extracts pose (cached) and features,
cross-validates the model with videos grouped by figure (seed) so that no look is both
trained and tested on, then fits on everything and writes model + card.
"""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
from scipy.stats import spearmanr
from sklearn.model_selection import GroupKFold

from posescore import __version__
from posescore.config import Settings
from posescore.constants import SIDES
from posescore.features import compute_features, leg_measure_names
from posescore.gait import detect_gait_events
from posescore.model import LegSeverityModel, design_column_names, leg_rows, save_model
from posescore.phantom import PhantomParams, build_phantom_specs, render_phantom
from posescore.pose import extract_pose
from posescore.signals import clean_pose

logger = logging.getLogger(__name__)

ACROSS_FRACTION = 0.3
"""Share of side-view training clips that walk across the frame (the rest walk in place)."""


@dataclass(frozen=True)
class LabelledFeatures:
    """Features of one labelled video."""

    video: str
    group: str
    view: str
    severity: dict[str, float]
    features: dict[str, Optional[float]]


def features_of_video(path: Path, settings: Settings) -> tuple[str, dict[str, Optional[float]]]:
    """View and feature dict of one video (pose from the cache when possible)."""
    pose, _ = extract_pose(path, settings)
    traj = clean_pose(pose, settings.signal)
    events = {side: detect_gait_events(traj, side, settings.gait) for side in SIDES}
    return traj.view, compute_features(traj, events, settings.feature)


def _render_and_extract(args: tuple[PhantomParams, Path, Settings]) -> LabelledFeatures:
    params, out_dir, settings = args
    name = (
        f"ph_{params.seed}_{params.affected_side}_{params.severity:.2f}_{params.view}_{params.walk}"
    )
    video = out_dir / f"{name}.mp4"
    truth_file = video.with_suffix(".truth.json")
    if video.exists() and truth_file.exists():
        truth = json.loads(truth_file.read_text())
    else:
        truth = render_phantom(params, video)
    view, features = features_of_video(video, settings)
    return LabelledFeatures(
        video=video.name,
        group=str(params.seed),
        view=view,
        severity={side: float(truth["severity"][side]) for side in SIDES},
        features=features,
    )


def build_phantom_features(
    specs: Sequence[PhantomParams], out_dir: Path, settings: Settings, workers: int = 2
) -> list[LabelledFeatures]:
    """Render (unless present) and featurise every spec, in ``workers`` processes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(p, out_dir, settings) for p in specs]
    if workers <= 1:
        return [_render_and_extract(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_render_and_extract, jobs))


def design_matrix(
    data: Sequence[LabelledFeatures], measures: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leg rows X (2n, p), severities y (2n,) and groups (2n,) for a labelled set."""
    X = np.vstack([leg_rows(d.features, d.view, measures) for d in data])
    y = np.array([d.severity[side] for d in data for side in SIDES])
    groups = np.array([d.group for d in data for _ in SIDES])
    return X, y, groups


def cross_validated_metrics(
    estimator: LegSeverityModel, X: np.ndarray, y: np.ndarray, groups: np.ndarray, n_splits: int = 5
) -> dict[str, Any]:
    """Group-k-fold out-of-fold metrics: MAE, Spearman, class accuracy, interval coverage."""
    pred = np.full(len(y), np.nan)
    lo = np.full(len(y), np.nan)
    hi = np.full(len(y), np.nan)
    for train, test in GroupKFold(n_splits=min(n_splits, len(set(groups)))).split(X, y, groups):
        fitted = LegSeverityModel(**estimator.get_params()).fit(X[train], y[train], groups[train])
        pred[test] = fitted.predict(X[test])
        interval = fitted.predict_interval(X[test])
        lo[test], hi[test] = interval[:, 0], interval[:, 1]
    rho = spearmanr(pred, y).statistic
    return {
        "n_legs": int(len(y)),
        "n_groups": int(len(set(groups))),
        "mae": round(float(np.mean(np.abs(pred - y))), 3),
        "spearman": round(float(rho), 3),
        "class_accuracy": round(float(np.mean(np.rint(pred) == np.rint(y))), 3),
        "within_one_class": round(float(np.mean(np.abs(np.rint(pred) - np.rint(y)) <= 1)), 3),
        "interval_coverage": round(float(np.mean((y >= lo) & (y <= hi))), 3),
        "cv": f"GroupKFold({min(n_splits, len(set(groups)))}) by phantom figure (seed)",
    }


def versions() -> dict[str, str]:
    """Versions of everything that shapes a trained model."""
    import mediapipe
    import sklearn

    return {
        "posescore": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "mediapipe": mediapipe.__version__,
    }


def train_on_phantom(
    out_path: Path,
    work_dir: Path,
    n_videos: int = 90,
    seed: int = 1,
    settings: Settings = Settings(),
    workers: int = 2,
) -> dict[str, Any]:
    """Render, featurise, cross-validate, fit and save the default model; return its card."""
    specs = build_phantom_specs(n_videos, seed, across_fraction=ACROSS_FRACTION)
    data = build_phantom_features(specs, work_dir, settings, workers)
    measures = leg_measure_names()
    X, y, groups = design_matrix(data, measures)
    estimator = LegSeverityModel()
    metrics = cross_validated_metrics(estimator, X, y, groups)
    estimator.fit(X, y, groups)
    card = {
        "name": out_path.stem,
        "version": __version__,
        "trained_on": "phantom",
        "clinically_validated": False,
        "notice": (
            "Trained on synthetic phantom videos with exactly known severity; not validated "
            "on patients. Do not use for clinical decisions."
        ),
        "estimator": "LegSeverityModel(RandomForest regressor + classifier, split-conformal)",
        "params": estimator.get_params(),
        "interval_coverage": estimator.interval_coverage,
        "interval_halfwidth": round(estimator.interval_halfwidth_, 3),
        "measures": measures,
        "columns": design_column_names(measures),
        "training_set": {
            "generator": "posescore.phantom",
            "n_videos": len(data),
            "seed": seed,
            "views": {v: sum(d.view == v for d in data) for v in sorted({d.view for d in data})},
            "severity_per_leg_mean": round(float(y.mean()), 3),
        },
        "cv_metrics": metrics,
        "versions": versions(),
    }
    return save_model(estimator, out_path, card)
