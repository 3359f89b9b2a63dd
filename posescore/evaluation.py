"""Agreement between predicted and rated (or phantom-true) severities.

Pure functions over arrays of per-leg values: Spearman, MAE, confusion, affected-side
accuracy, AUC dystonic vs normal, interval coverage, with subject-level bootstrap intervals.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import confusion_matrix, roc_auc_score

from posescore.numbers import round_or_none

N_CLASSES = 5
SEVERE_LEG = 3.5
"""True severity from which a leg counts as severe (class 4) in ``near_severe_*``."""
TRANSFER_KEYS = ("n_videos", "spearman_affected_leg", "affected_side_accuracy_sev_ge_2",
                 "n_affected_side_videos", "healthy_leg_median", "n_near_severe_legs",
                 "near_severe_min", "near_severe_median", "mae", "interval_coverage")
"""Figures of each held-out group in ``per_group_metrics``."""


def _round_class(severity: np.ndarray) -> np.ndarray:
    return np.clip(np.floor(severity + 0.5), 0, N_CLASSES - 1).astype(int)


def spearman(a: np.ndarray, b: np.ndarray) -> Optional[float]:
    """Spearman rank correlation, None when either side is constant or too short."""
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


def bootstrap_ci(
    stat, true: np.ndarray, pred: np.ndarray, groups: np.ndarray, n_boot: int = 1000, seed: int = 0
) -> Optional[list[float]]:
    """95 % percentile interval of ``stat(true, pred)`` resampling whole groups (subjects)."""
    rng = np.random.default_rng(seed)
    unique = np.unique(groups)
    if unique.size < 3:
        return None
    members = [np.flatnonzero(groups == g) for g in unique]
    values = []
    for _ in range(n_boot):
        idx = np.concatenate([members[i] for i in rng.integers(0, unique.size, unique.size)])
        v = stat(true[idx], pred[idx])
        if v is not None and np.isfinite(v):
            values.append(v)
    if len(values) < n_boot // 2:
        return None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [round(float(lo), 3), round(float(hi), 3)]


def severity_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    groups: np.ndarray,
    interval: Optional[np.ndarray] = None,
    coverage_target: Optional[float] = None,
    near_leg: Optional[np.ndarray] = None,
) -> dict[str, Any]:
    """Agreement of per-leg severities.

    Parameters
    ----------
    true, pred : ndarray, shape (2n,)
        Rows in pairs per video: left leg then right leg (as ``model.leg_rows``).
    groups : ndarray, shape (2n,)
        Subject of each row, for bootstrap intervals.
    interval : ndarray, shape (2n, 2), optional
        Predicted [lo, hi] per leg.
    coverage_target : float, optional
        The interval's stated coverage, reported beside the observed one.
    near_leg : ndarray, shape (2n,), optional
        1 for the near leg of a side view (``model.LEG_CLASSES``), for
        ``near_severe_min`` / ``near_severe_median``: the readings of near-side legs whose
        true severity is at least ``SEVERE_LEG``.

    Returns
    -------
    dict
        ``spearman_all_legs``, ``spearman_affected_leg`` (the leg with the higher true
        severity of each video), ``mae`` with ``*_ci95`` subject-bootstrap intervals,
        ``class_confusion`` (rows true class 0-4, columns predicted), ``class_accuracy``,
        ``affected_side_accuracy_sev_ge_2`` (videos whose worse leg has severity >= 2 and
        whose legs differ by >= 1), ``auc_dystonic_vs_normal`` (leg severity > 0 vs 0) and
        ``interval_coverage``; ``healthy_leg_median``: median reading of legs whose true
        severity is 0.
    """
    true = np.asarray(true, dtype=float)
    pred = np.asarray(pred, dtype=float)
    groups = np.asarray(groups)
    pairs_true = true.reshape(-1, 2)
    pairs_pred = pred.reshape(-1, 2)
    worse = np.argmax(pairs_true, axis=1)
    rows = np.arange(len(pairs_true))
    aff_true, aff_pred = pairs_true[rows, worse], pairs_pred[rows, worse]
    aff_groups = groups.reshape(-1, 2)[:, 0]

    def mae(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(np.abs(a - b)))

    out: dict[str, Any] = {
        "n_videos": int(len(pairs_true)),
        "n_subjects": int(np.unique(groups).size),
        "mae": round(mae(true, pred), 3),
        "mae_ci95": bootstrap_ci(mae, true, pred, groups),
        "spearman_all_legs": round_or_none(spearman(true, pred), 3),
        "spearman_all_legs_ci95": bootstrap_ci(spearman, true, pred, groups),
        "spearman_affected_leg": round_or_none(spearman(aff_true, aff_pred), 3),
        "spearman_affected_leg_ci95": bootstrap_ci(spearman, aff_true, aff_pred, aff_groups),
        "mae_affected_leg": round(mae(aff_true, aff_pred), 3),
    }
    t_cls, p_cls = _round_class(true), _round_class(pred)
    out["class_accuracy"] = round(float(np.mean(t_cls == p_cls)), 3)
    out["within_one_class"] = round(float(np.mean(np.abs(t_cls - p_cls) <= 1)), 3)
    out["class_confusion"] = confusion_matrix(t_cls, p_cls, labels=list(range(N_CLASSES))).tolist()
    lateral = (pairs_true.max(axis=1) >= 2) & (np.abs(pairs_true[:, 0] - pairs_true[:, 1]) >= 1)
    if lateral.any():
        hit = np.argmax(pairs_pred[lateral], axis=1) == worse[lateral]
        out["affected_side_accuracy_sev_ge_2"] = round(float(np.mean(hit)), 3)
        out["n_affected_side_videos"] = int(lateral.sum())
    else:
        out["affected_side_accuracy_sev_ge_2"] = None
    healthy = true == 0
    out["healthy_leg_median"] = (round(float(np.median(pred[healthy])), 3)
                                 if healthy.any() else None)
    if near_leg is not None:
        severe = (np.asarray(near_leg) == 1.0) & (true >= SEVERE_LEG)
        out["n_near_severe_legs"] = int(severe.sum())
        out["near_severe_min"] = round(float(pred[severe].min()), 3) if severe.any() else None
        out["near_severe_median"] = (round(float(np.median(pred[severe])), 3)
                                     if severe.any() else None)
    dystonic = true > 0
    out["auc_dystonic_vs_normal"] = (
        round(float(roc_auc_score(dystonic, pred)), 3) if 0 < dystonic.sum() < len(true) else None
    )
    if interval is not None:
        interval = np.asarray(interval, dtype=float)
        inside = (true >= interval[:, 0] - 1e-9) & (true <= interval[:, 1] + 1e-9)
        out["interval_coverage"] = round(float(np.mean(inside)), 3)
        out["interval_coverage_target"] = coverage_target
        out["interval_mean_width"] = round(float(np.mean(interval[:, 1] - interval[:, 0])), 3)
    return out


def per_group_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    subjects: np.ndarray,
    held_out: np.ndarray,
    interval: Optional[np.ndarray] = None,
    near_leg: Optional[np.ndarray] = None,
) -> dict[str, dict[str, Any]]:
    """``TRANSFER_KEYS`` of ``severity_metrics`` for each held-out group (rows in pairs).

    ``held_out`` (2n,) names each row's cross-validation group (e.g. the phantom's expression
    family); predictions should be out-of-fold, so each group's figures describe a model
    that never saw it.
    """
    out = {}
    for group in sorted(set(np.asarray(held_out).tolist())):
        rows = np.asarray(held_out) == group
        m = severity_metrics(true[rows], pred[rows], subjects[rows],
                             None if interval is None else interval[rows], None,
                             None if near_leg is None else near_leg[rows])
        out[str(group)] = {k: m.get(k) for k in TRANSFER_KEYS}
    return out


def rater_agreement(ratings: np.ndarray) -> dict[str, Any]:
    """Agreement between raters who scored the same legs.

    Parameters
    ----------
    ratings : ndarray, shape (n_legs, n_raters)
        NaN where a rater did not score a leg.

    Returns
    -------
    dict
        Mean pairwise Spearman and MAE over rater pairs with >= 3 shared legs
        (as reported for inter-rater agreement by Haberfehlner et al. 2023).
    """
    n_raters = ratings.shape[1]
    rhos, maes = [], []
    for i in range(n_raters):
        for j in range(i + 1, n_raters):
            both = np.isfinite(ratings[:, i]) & np.isfinite(ratings[:, j])
            if both.sum() >= 3:
                rho = spearman(ratings[both, i], ratings[both, j])
                if rho is not None:
                    rhos.append(rho)
                maes.append(float(np.mean(np.abs(ratings[both, i] - ratings[both, j]))))
    return {
        "n_raters": int(n_raters),
        "n_rater_pairs": len(maes),
        "spearman_mean": round_or_none(float(np.mean(rhos)), 3) if rhos else None,
        "mae_mean": round_or_none(float(np.mean(maes)), 3) if maes else None,
    }
