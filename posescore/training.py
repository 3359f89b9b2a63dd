"""Training and evaluating severity models: from phantom videos or a clinic's ratings.

``train_model`` takes rated videos (a clinic's CSV, or phantom videos whose truth is exact),
featurises them (pose comes from the cache after the first run, so retraining takes
seconds), compares model families with grouped cross-validation, fits the best on
everything and writes the model with a card that states what it was trained on.

Cross-validation leaves out whole look groups (a clinic's sites or camera set-ups, the
phantom's look families) when the ratings name at least ``MIN_LOOK_GROUPS`` of them, so the
metrics and the conformal interval describe videos that look unlike the training ones; it
falls back to 5 folds grouped by subject. A subject's videos always stay in one fold.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np
from sklearn.model_selection import GroupKFold

from posescore import __version__
from posescore.config import ModelConfig, Settings
from posescore.constants import SIDES
from posescore.crosscheck import crosscheck
from posescore.errors import PosescoreError
from posescore.evaluation import per_group_metrics, rater_agreement, severity_metrics
from posescore.features import leg_measure_names
from posescore.labelled import (
    LOOK_COLUMNS,
    LabelledFeatures,
    RatedVideo,
    RatingsError,
    design_matrix,
    featurise,
    read_ratings,
    scorable_only,
)
from posescore.manifest import Column, read_manifest
from posescore.model import FAMILIES, MONOTONE_FAMILIES, LegSeverityModel
from posescore.model_design import design_column_names
from posescore.model_file import LoadedModel, file_sha256, save_model
from posescore.normative import DEFAULT_REFERENCE_PATH, load_reference

logger = logging.getLogger(__name__)

MIN_LOOK_GROUPS = 3
"""Fewest look groups for leave-one-look-group-out cross-validation."""


def cv_groups(data: Sequence[LabelledFeatures]) -> tuple[np.ndarray, str]:
    """Cross-validation group of each leg row (2n,) and how the groups were formed.

    Look groups when at least ``MIN_LOOK_GROUPS`` are named, a subject filmed in several
    going wholly to its most frequent look; otherwise subjects.

    Returns
    -------
    groups : ndarray, shape (2n,)
    grouping : {"look", "subject"}
    """
    looks: dict[str, list[str]] = defaultdict(list)
    for d in data:
        looks[d.video.subject_id].append(d.video.look)
    if all(d.video.look for d in data):
        home = {s: max(sorted(set(v)), key=v.count) for s, v in looks.items()}
        if len(set(home.values())) >= MIN_LOOK_GROUPS:
            return np.array([home[d.video.subject_id] for d in data for _ in SIDES]), "look"
    return np.array([d.video.subject_id for d in data for _ in SIDES]), "subject"


def out_of_fold(
    estimator: LegSeverityModel,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    n_splits: int = 5,
    measures: Optional[list[str]] = None,
    cfg: ModelConfig = ModelConfig(),
) -> tuple[np.ndarray, np.ndarray]:
    """Grouped out-of-fold predictions (2n,) and intervals (2n, 2).

    At most ``n_splits`` folds, no group split between folds (``n_splits`` or fewer groups:
    leave one group out). Each fold's model takes its conformal residuals from inner folds of
    the same groups; with ``measures``, its intervals are cross-checked against the legs'
    measures (``crosscheck``) as the product does.
    """
    pred = np.full(len(y), np.nan)
    interval = np.full((len(y), 2), np.nan)
    n_splits = min(n_splits, len(set(groups)))
    for train, test in GroupKFold(n_splits=n_splits).split(X, y, groups):
        fitted = LegSeverityModel(**estimator.get_params()).fit(X[train], y[train], groups[train])
        pred[test] = fitted.predict(X[test])
        interval[test] = fitted.predict_interval(X[test])
        if measures is not None:
            checks = crosscheck(fitted, X[test], pred[test], interval[test], measures, cfg)
            interval[test] = [c.interval for c in checks]
    return pred, interval


MAX_LEAVE_ONE_OUT_GROUPS = 12
"""With at most this many named groups (sites, expression families), cross-validation
leaves one whole group out at a time; with more, 5 grouped folds."""


def cv_splits(groups: np.ndarray, grouping: str) -> int:
    """Folds of the cross-validation: one per named group when there are few, else 5."""
    n_groups = len(set(groups))
    if grouping == "look" and n_groups <= MAX_LEAVE_ONE_OUT_GROUPS:
        return n_groups
    return min(5, n_groups)


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


def _data_summary(data: Sequence[LabelledFeatures], y: np.ndarray) -> dict[str, Any]:
    classes = np.clip(np.floor(y + 0.5), 0, 4).astype(int)
    digest = hashlib.sha256()
    for d in sorted(data, key=lambda d: d.video.path.name):
        digest.update(d.video.path.name.encode() + json.dumps(d.video.severity).encode())
    return {
        "n_videos": len(data),
        "n_subjects": len({d.video.subject_id for d in data}),
        "views": {v: sum(d.view == v for d in data) for v in sorted({d.view for d in data})},
        "tasks": sorted({d.video.task for d in data}),
        "look_groups": sorted({d.video.look for d in data if d.video.look}),
        "leg_severity_class_counts": np.bincount(classes, minlength=5).tolist(),
        "labels_sha256": digest.hexdigest(),
    }


def train_model(
    videos: Sequence[RatedVideo],
    out_path: str | Path,
    settings: Settings = Settings(),
    workers: int = 2,
    trained_on: str = "clinic ratings",
    families: Sequence[str] = FAMILIES,
    extra_card: Optional[dict[str, Any]] = None,
    reference_path: Optional[Path] = None,
) -> dict[str, Any]:
    """Featurise, compare families by grouped CV (``cv_groups``), fit the best, save model + card.

    Families are ranked by cross-validated MAE; the best monotone one
    (``model.MONOTONE_FAMILIES``, when compared) is fitted, so that the model can only say
    "more abnormal, more severe". Its inputs are deviations from the normative reference
    (``reference_path``, default the shipped one) and from the other leg. The card keeps
    every family's metrics and the chosen one's per held-out group.

    Returns
    -------
    dict
        The model card as written beside the model.
    """
    out_path = Path(out_path)
    if out_path.suffix != ".skops":
        out_path = out_path.with_suffix(".skops")
    featurised = featurise(videos, settings, workers)
    data = scorable_only(featurised, "training")
    if len({d.video.subject_id for d in data}) < 3:
        raise RatingsError("need videos of at least 3 subjects to cross-validate a model")
    measures = leg_measure_names()
    reference = load_reference(reference_path)
    X, y, subjects = design_matrix(data, measures)
    groups, grouping = cv_groups(data)
    n_folds = cv_splits(groups, grouping)
    comparison, predictions, intervals = {}, {}, {}
    base = {"reference": reference.to_dict(), "measures": measures}
    for family in families:
        candidate = LegSeverityModel(family=family, **base)
        pred, interval = out_of_fold(candidate, X, y, groups, n_folds, measures, settings.model)
        predictions[family], intervals[family] = pred, interval
        comparison[family] = severity_metrics(
            y, pred, subjects, interval, candidate.interval_coverage, X[:, -1]
        )
        logger.info("family %s: CV MAE %.3f", family, comparison[family]["mae"])
    eligible = [f for f in families if f in MONOTONE_FAMILIES] or list(families)
    best = min(eligible, key=lambda f: comparison[f]["mae"])
    estimator = LegSeverityModel(family=best, **base).fit(X, y, groups)
    card: dict[str, Any] = {
        "name": out_path.stem,
        "version": __version__,
        "trained_on": trained_on,
        "clinically_validated": False,
        "estimator": (
            f"LegSeverityModel(family={best!r}): regressor and ordinal models averaged "
            f"(ordinal weight {estimator.ordinal_weight:g}), split-conformal interval"
        ),
        "params": {k: v for k, v in estimator.get_params().items()
                   if k not in ("reference", "measures")},
        "normative_reference": {
            "source": reference.source, "n_legs": reference.n_legs,
            "file": (reference_path or DEFAULT_REFERENCE_PATH).name,
            "sha256": file_sha256(Path(reference_path or DEFAULT_REFERENCE_PATH))},
        "cv_grouping": (
            f"{n_folds} folds grouped by "
            + ("named group (site, expression family or look family)" if grouping == "look"
               else "subject")
            + (" (leave one group out)" if grouping == "look" and n_folds == len(set(groups))
               else "")
        ),
        "interval_coverage": estimator.interval_coverage,
        "interval_halfwidth": round(estimator.interval_halfwidth_, 3),
        "interval_halfwidth_by_leg_class": {
            k: round(v, 3) for k, v in estimator.interval_halfwidth_by_class_.items()},
        "interval_halfwidth_by_leg_class_and_severity_band": {
            k: round(v, 3) for k, v in estimator.interval_halfwidth_by_cell_.items()},
        "measures": measures,
        "columns": design_column_names(measures),
        "training_set": {**_data_summary(data, y),
                         "n_not_scorable_left_out": len(featurised) - len(data)},
        "cv_metrics": comparison[best],
        "cv_metrics_per_group": per_group_metrics(
            y, predictions[best], subjects, groups, intervals[best], X[:, -1]),
        "family_comparison": {f: {k: comparison[f].get(k) for k in COMPARISON_KEYS}
                              for f in families},
        "feature_importance": _importances(estimator, X, y, measures),
        "versions": versions(),
    }
    multi = [d for d in data if len(d.video.raters) > 1]
    if multi:
        raters = sorted({r for d in multi for r in d.video.raters})
        table = np.array([[d.video.raters.get(r, {}).get(side, np.nan) for r in raters]
                          for d in multi for side in SIDES])
        oof = predictions[best].reshape(-1, 2)
        index = {id(d): i for i, d in enumerate(data)}
        model_vs = np.array([oof[index[id(d)], k] for d in multi for k in range(2)])
        card["inter_rater_agreement"] = rater_agreement(table)
        card["model_rater_agreement"] = rater_agreement(
            np.column_stack([model_vs, np.nanmean(table, axis=1)])
        )
    card.update(extra_card or {})
    return save_model(estimator, out_path, card)


COMPARISON_KEYS = (
    "mae",
    "spearman_affected_leg",
    "class_accuracy",
    "affected_side_accuracy_sev_ge_2",
    "auc_dystonic_vs_normal",
    "interval_coverage",
)
"""Cross-validated metrics of each family in the model card's ``family_comparison``."""


def _importances(
    estimator: LegSeverityModel, X: np.ndarray, y: np.ndarray, measures: list[str]
) -> dict[str, float]:
    """Permutation importance (MAE increase) of each design column, top 15."""
    from sklearn.inspection import permutation_importance

    result = permutation_importance(
        estimator, X, y, scoring="neg_mean_absolute_error", n_repeats=5, random_state=0
    )
    names = design_column_names(measures)
    order = np.argsort(result.importances_mean)[::-1][:15]
    return {names[i]: round(float(result.importances_mean[i]), 4) for i in order}


def evaluate_model(
    model: LoadedModel, videos: Sequence[RatedVideo], settings: Settings, workers: int = 2
) -> dict[str, Any]:
    """Metrics of a fitted model on labelled videos it was not trained on.

    Only videos ``posescore score`` scores count (``scorable_only``); ``n_not_scorable``
    says how many were left out, ``n_skipped`` how many could not be read at all. Intervals
    are cross-checked against the legs' measures (``crosscheck``), as the product reports them.
    """
    featurised = featurise(videos, settings, workers)
    if not featurised:
        raise PosescoreError("no video of the labelled set could be featurised")
    data = scorable_only(featurised, "labelled")
    X, y, groups = design_matrix(data, model.measures)
    pred = model.estimator.predict(X)
    interval = model.estimator.predict_interval(X)
    checks = crosscheck(model.estimator, X, pred, interval, model.measures, settings.model)
    interval = np.array([c.interval for c in checks])
    metrics = severity_metrics(y, pred, groups, interval, model.card.get("interval_coverage"),
                               X[:, -1])
    metrics["n_skipped"] = len(videos) - len(featurised)
    metrics["n_not_scorable"] = len(featurised) - len(data)
    return metrics


def hold_out_group_figures(
    model: LoadedModel, videos: Sequence[RatedVideo], settings: Settings, workers: int = 2
) -> dict[str, Any]:
    """Leave-one-group-out figures of the model's recipe on a labelled set.

    The model's family and normative reference are refitted with each group (a phantom set's
    expression family, a clinic's site) held out in turn and scored on it, as training does.

    Returns
    -------
    dict
        ``grouping``, ``per_group`` (``evaluation.TRANSFER_KEYS`` per held-out group) and
        ``overall`` (``severity_metrics`` of all out-of-fold predictions).

    Raises
    ------
    PosescoreError
        When the set names fewer than ``MIN_LOOK_GROUPS`` groups.
    """
    data = scorable_only(featurise(videos, settings, workers), "labelled")
    groups, grouping = cv_groups(data)
    if grouping != "look":
        raise PosescoreError(
            f"the labelled set names fewer than {MIN_LOOK_GROUPS} groups (a manifest's "
            f"{' or '.join(LOOK_COLUMNS)} column) to hold out")
    X, y, subjects = design_matrix(data, model.measures)
    params = model.estimator.get_params()
    if params.get("reference") is None:
        params.update(reference=load_reference().to_dict(), measures=model.measures)
    pred, interval = out_of_fold(LegSeverityModel(**params), X, y, groups,
                                 cv_splits(groups, grouping), model.measures, settings.model)
    return {
        "grouping": f"leave one of {len(set(groups))} groups out ({params['family']})",
        "per_group": per_group_metrics(y, pred, subjects, groups, interval, X[:, -1]),
        "overall": severity_metrics(y, pred, subjects, interval,
                                    model.estimator.interval_coverage, X[:, -1]),
    }


PHANTOM_MODEL_FAMILIES = ("monotone_boosting", "gradient_boosting", "ridge")
"""Model families compared when the default model is trained (the monotone one is kept; the
unconstrained ones on the raw measures are the baseline it is measured against)."""


def train_on_phantom(
    out_path: Path,
    work_dir: Path,
    n_videos: int = 480,
    seed: int = 21,
    settings: Settings = Settings(),
    workers: int = 2,
    families: Sequence[int] = (0, 1, 2, 3, 4, 5),
    duration_s: float = 5.0,
) -> dict[str, Any]:
    """Render a varied phantom data set (unless its manifest exists), then ``train_model``.

    Every look family and every expression family of the disease
    (``phantom.expression.EXPRESSION_FAMILIES``) is drawn; cross-validation leaves one
    expression family out at a time, and the card gives each held-out family's figures.
    """
    from posescore.phantom import generate_dataset, plan_dataset
    from posescore.phantom.expression import EXPRESSION_FAMILIES

    manifest = Path(work_dir) / "manifest.csv"
    if not manifest.is_file():
        manifest = generate_dataset(
            work_dir, n_videos, seed, families, workers=workers, duration_s=duration_s
        )
    rows = read_manifest(manifest, (Column("video", "path"), Column("seed", "number"))).rows
    names = sorted(row["video"].stem for row in rows)
    seeds = sorted({int(row["seed"]) for row in rows})
    planned = sorted(clip.name for clip in plan_dataset(n_videos, seed, families,
                                                         duration_s=duration_s))
    if names != planned:
        raise PosescoreError(
            f"{work_dir} already holds a phantom set of {len(names)} clips that is not the one "
            f"asked for ({n_videos} clips, seed {seed}, families {list(families)}, "
            f"{duration_s:g} s); give another --work-dir or remove that one"
        )
    notice = (
        "Trained on synthetic phantom videos with exactly known severity; not validated on "
        "patients. Do not use for clinical decisions."
    )
    return train_model(
        read_ratings(manifest),
        out_path,
        settings,
        workers,
        trained_on="phantom",
        families=PHANTOM_MODEL_FAMILIES,
        extra_card={
            "notice": notice,
            "phantom": {"n_videos": n_videos, "seed": seed, "families": list(families),
                        "duration_s": duration_s},
            "expression_families": {name: recipe["describe"]
                                    for name, recipe in EXPRESSION_FAMILIES.items()},
            "severity_rule": "4 x magnitude x (0.3 + 0.7 x posture fraction) x (0.7 + 0.3 x "
                             "gait disturbance); see docs/severity_rule.md",
            "training_seeds": seeds,
        },
    )
