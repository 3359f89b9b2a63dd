"""Severity model: one scikit-learn estimator scores each leg from side-mirrored features.

Each leg becomes one row: its own measures, the other leg's measures and whether it is the
leg nearer the camera. One estimator therefore serves both legs and learns "this leg is
worse than the other" without left/right twins. Pose extraction stays outside the model.

The point severity averages a regressor and an ordinal model (cumulative binary models of
"severity at least 0.5, 1.5, 2.5, 3.5", the class boundaries). Regression alone pulls healthy
legs (the most common class, at the floor of the scale) up towards the mean, about 0.5-0.8;
the ordinal model's expected class goes to 0 when every "at least" probability is low, and
its cumulative probabilities give the class probabilities.
"""

from __future__ import annotations

import json
import logging
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from posescore.abnormality import AbnormalityTransform
from posescore.errors import ModelError
from posescore.model_cache import cached_estimator, keep_estimator
from posescore.model_card import (  # noqa: F401 - re-exported: named from posescore.model
    DEFAULT_MODEL_PATH,
    card_path,
    checked_card,
    file_sha256,
    model_path,
)
from posescore.model_design import (
    LEG_CLASSES,
    ORDINAL_THRESHOLDS,
    SEVERITY_BANDS,
    conformal_halfwidth,
    cumulative_to_proba,
    severity_band,
)

logger = logging.getLogger(__name__)

N_CLASSES = 5
"""Severity classes 0-4 of the BFMDRS-adapted scale."""

TRUSTED_TYPES = frozenset(
    {
        "posescore.model.LegSeverityModel",
        "posescore.abnormality.AbnormalityTransform",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "numpy.dtype",
    }
)
"""Types beyond skops' own safe defaults that a model file may contain (reviewed: our
estimator class and the tree structures of scikit-learn forests and boosting); a file with any
other type is refused without loading (skops refuses ``trusted=True``, CVE-2024-37065)."""


SUPPORT_PERCENTILE = 99.0
"""Percentile of each abnormality input over the training legs kept as the upper edge of the
training support (``support_upper_``; the cross-check flags legs far beyond it)."""

MIN_CLASS_RESIDUALS = 20
"""Fewest out-of-fold residuals of a leg class for its own conformal half-width."""


FAMILIES = ("random_forest", "gradient_boosting", "ridge", "monotone_boosting")
"""Model families ``LegSeverityModel`` can use; training compares them by grouped CV."""
MONOTONE_MIN_LEAF = 20
"""Smallest leaf (legs) of ``monotone_boosting`` on sets of 400 legs or more."""
MONOTONE_FAMILIES = ("monotone_boosting",)
"""Families that read abnormality (``abnormality.AbnormalityTransform``) and can only say
"more abnormal, more severe"; the default model is one of them."""

class LegSeverityModel(RegressorMixin, BaseEstimator):
    """Severity 0-4 per leg with class probabilities and a split-conformal interval.

    Parameters
    ----------
    family : {"random_forest", "gradient_boosting", "ridge", "monotone_boosting"}
        Regressor and classifier family (random forests; histogram gradient boosting;
        ridge regression with logistic regression for the ordinal models) on the raw leg
        rows, or ``monotone_boosting``: histogram gradient boosting on the abnormality
        inputs (``abnormality.AbnormalityTransform``; missing measures stay missing), held
        non-decreasing in every abnormality (``monotonic_cst``; the ordinal models too).
    n_estimators : int
        Trees per forest or boosting iterations.
    min_samples_leaf : int
        Smallest leaf of each tree.
    ordinal_weight : float
        Weight in [0, 1] of the ordinal model's expected severity in the point prediction,
        the rest is the regressor's. The ordinal model is the cumulative-binary reduction
        of Frank & Hall (2001, *ECML*, LNCS 2167:145): one binary model per threshold in
        ``ORDINAL_THRESHOLDS``; its expected class is the sum of their probabilities.
        Models saved by posescore <= 0.1 have no ordinal part and read as 0 (regression
        only, multinomial classifier for the probabilities).
    interval_coverage : float
        Target coverage of ``predict_interval`` (e.g. 0.9); the half-width is the
        corresponding quantile of out-of-fold absolute residuals (split-conformal,
        Lei et al. 2018, J Am Stat Assoc 113:1094), taken separately for near legs of side
        views, far legs and the rest (the ``near_leg`` column) and, within each, for legs
        predicted healthy and affected (``SEVERITY_BANDS``; Mondrian conformal prediction,
        Vovk et al. 2005, *Algorithmic Learning in a Random World*, ch. 4): errors grow with
        severity on a scale bounded at 0, so one width would be too wide for healthy legs and
        too narrow for affected ones. A cell with fewer than ``MIN_CLASS_RESIDUALS`` rows
        takes its leg class's width, a class with fewer the pooled one.
    random_state : int
    reference : dict, optional
        Normative reference (``NormativeReference.to_dict()``) for ``monotone_boosting``.
    measures : list of str, optional
        Per-leg measures of the rows, in order, for ``monotone_boosting``.

    Notes
    -----
    ``fit``'s ``groups`` decide the folds of the out-of-fold residuals behind the interval:
    give look groups (camera set-up, site; the phantom's look family) when they are known,
    so that the interval keeps its coverage on videos that look unlike the training ones.
    """

    def __init__(
        self,
        family: str = "random_forest",
        n_estimators: int = 300,
        min_samples_leaf: int = 2,
        ordinal_weight: float = 0.5,
        interval_coverage: float = 0.9,
        random_state: int = 0,
        reference: Optional[dict] = None,
        measures: Optional[list] = None,
    ) -> None:
        self.family = family
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.ordinal_weight = ordinal_weight
        self.interval_coverage = interval_coverage
        self.random_state = random_state
        self.reference = reference
        self.measures = measures

    def __setstate__(self, state: dict) -> None:
        """Restore a saved model; files from posescore <= 0.1 predate ``ordinal_weight``."""
        state = {"ordinal_weight": 0.0, "reference": None, "measures": None, **state}
        super().__setstate__(state)

    def _pipeline(self, kind: str, n_rows: int = 0) -> Pipeline:
        """Imputer (+ scaler) and the family's ``"regressor"`` or ``"classifier"``."""
        imputer = SimpleImputer(strategy="median", keep_empty_features=True)
        regress = kind == "regressor"
        if self.family == "random_forest":
            forest = RandomForestRegressor if regress else RandomForestClassifier
            return make_pipeline(
                imputer,
                forest(
                    n_estimators=self.n_estimators,
                    min_samples_leaf=self.min_samples_leaf,
                    random_state=self.random_state,
                    n_jobs=1,
                ),
            )
        if self.family == "gradient_boosting":
            return make_pipeline(imputer, self._boosting(
                regress, learning_rate=0.05, min_samples_leaf=max(self.min_samples_leaf, 5)))
        if self.family == "ridge":
            linear = Ridge(alpha=1.0) if regress else LogisticRegression(C=1.0, max_iter=2000)
            return make_pipeline(imputer, StandardScaler(), linear)
        if self.family == "monotone_boosting":
            transform = self.abnormality_transform()
            # leaves of 20 legs, fewer on a small set (a clinic's first ratings) so it can split
            leaf = max(self.min_samples_leaf, min(MONOTONE_MIN_LEAF, n_rows // 20))
            return make_pipeline(transform, self._boosting(
                regress, learning_rate=0.03, max_depth=3, min_samples_leaf=leaf,
                monotonic_cst=transform.monotonic_cst()))
        raise ValueError(f"unknown model family {self.family!r}; choose one of {FAMILIES}")

    def _boosting(
        self, regress: bool, **options: object
    ) -> HistGradientBoostingRegressor | HistGradientBoostingClassifier:
        """Histogram gradient boosting with this model's iterations and seed."""
        boosting = HistGradientBoostingRegressor if regress else HistGradientBoostingClassifier
        return boosting(max_iter=self.n_estimators, random_state=self.random_state,
                        **options)  # type: ignore[arg-type]

    def abnormality_transform(self) -> AbnormalityTransform:
        """The abnormality inputs this model reads (needs ``reference`` and ``measures``)."""
        if self.reference is None or self.measures is None:
            raise ValueError(f"family {self.family!r} needs a normative reference and measures")
        return AbnormalityTransform(self.reference, list(self.measures))

    def abnormality(self, X: np.ndarray) -> np.ndarray:
        """The abnormality inputs (n, 2k + 4) the fitted model reads for leg rows ``X``."""
        return self.regressor_[0].transform(np.asarray(X, dtype=float))

    def _fit_parts(self, X: np.ndarray, y: np.ndarray) -> tuple[Pipeline, list]:
        """Regressor and ordinal models fitted on (X, y).

        The ordinal list holds, per threshold, a fitted binary classifier or, when the
        training severities all lie on one side of it, that side's probability (0.0 or 1.0).
        """
        regressor = self._pipeline("regressor", len(y)).fit(X, y)
        ordinal: list = []
        for threshold in ORDINAL_THRESHOLDS:
            above = (y >= threshold).astype(int)
            if above.min() == above.max():
                ordinal.append(float(above[0]))
            else:
                ordinal.append(self._pipeline("classifier", len(y)).fit(X, above))
        return regressor, ordinal

    @staticmethod
    def _above(ordinal: list, X: np.ndarray) -> np.ndarray:
        """P(severity >= t) (n, 4) for each ordinal threshold, non-increasing over t."""
        cols = [
            np.full(len(X), part) if isinstance(part, float) else part.predict_proba(X)[:, 1]
            for part in ordinal
        ]
        return np.minimum.accumulate(np.column_stack(cols), axis=1)

    def _combine(self, regressor: Pipeline, ordinal: Optional[list], X: np.ndarray) -> np.ndarray:
        """Point severity (n,) in [0, 4]: regressor and ordinal expectation, weighted."""
        pred = np.clip(regressor.predict(X), 0.0, 4.0)
        weight = getattr(self, "ordinal_weight", 0.0)
        if ordinal is not None and weight > 0:
            expected = self._above(ordinal, X).sum(axis=1)
            pred = (1.0 - weight) * pred + weight * expected
        return np.clip(pred, 0.0, 4.0)

    def fit(
        self, X: np.ndarray, y: np.ndarray, groups: Optional[np.ndarray] = None
    ) -> LegSeverityModel:
        """Fit on leg rows ``X`` (n, p) and severities ``y`` (n,) in [0, 4].

        ``groups`` (n,) keeps rows of one video, subject or look group in the same fold when
        the conformal residuals are estimated (at most 5 folds, so 5 or fewer look groups
        give leave-one-group-out); without it each row is its own group.
        """
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"X must be (n, p) and y (n,), got {X.shape} and {y.shape}")
        if np.any((y < 0) | (y > 4)) or np.isnan(y).any():
            raise ValueError("severities must be numbers in [0, 4]")
        if not 0.0 <= self.ordinal_weight <= 1.0:
            raise ValueError(f"ordinal_weight must be in [0, 1], got {self.ordinal_weight}")
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        self.n_features_in_ = X.shape[1]
        self.regressor_, self.ordinal_ = self._fit_parts(X, y)
        if self.family in MONOTONE_FAMILIES:
            inputs = self.abnormality(X)[:, :-1]
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                self.support_upper_ = np.nanpercentile(inputs, SUPPORT_PERCENTILE, axis=0)
        n_splits = min(5, len(np.unique(groups)))
        if n_splits >= 2:
            oof = np.empty(len(y))
            for train, test in GroupKFold(n_splits).split(X, y, groups):
                regressor, ordinal = clone(self)._fit_parts(X[train], y[train])
                oof[test] = self._combine(regressor, ordinal, X[test])
            residuals = np.abs(oof - y)
            self.interval_halfwidth_ = conformal_halfwidth(residuals, self.interval_coverage)
            leg_class, band = X[:, -1], severity_band(oof)
            self.interval_halfwidth_by_class_ = self._cell_halfwidths(
                residuals, {name: leg_class == value for name, value in LEG_CLASSES.items()}
            )
            self.interval_halfwidth_by_cell_ = self._cell_halfwidths(residuals, {
                f"{name}:{band_name}": (leg_class == value) & (band == band_value)
                for name, value in LEG_CLASSES.items()
                for band_name, band_value in SEVERITY_BANDS.items()
            })
        else:
            self.interval_halfwidth_ = 4.0
            self.interval_halfwidth_by_class_ = {}
            self.interval_halfwidth_by_cell_ = {}
        return self

    def _cell_halfwidths(
        self, residuals: np.ndarray, cells: dict[str, np.ndarray]
    ) -> dict[str, float]:
        """Half-width of each cell (a boolean row mask) with enough residuals."""
        return {
            name: conformal_halfwidth(residuals[rows], self.interval_coverage)
            for name, rows in cells.items()
            if rows.sum() >= MIN_CLASS_RESIDUALS
        }

    def halfwidths(self, X: np.ndarray, pred: Optional[np.ndarray] = None) -> np.ndarray:
        """Conformal half-width (n,) of each row, from its leg class and severity band.

        The cell's width, else the leg class's, else the pooled one; the band comes from
        ``pred`` (default ``predict(X)``).
        """
        X = np.asarray(X, dtype=float)
        leg_class = X[:, -1]
        half = np.full(len(leg_class), self.interval_halfwidth_)
        # older model files have the pooled width only, or no width by severity band
        for name, width in getattr(self, "interval_halfwidth_by_class_", {}).items():
            half[leg_class == LEG_CLASSES[name]] = width
        by_cell = getattr(self, "interval_halfwidth_by_cell_", {})
        if by_cell:
            band = severity_band(self.predict(X) if pred is None else pred)
            for name, width in by_cell.items():
                class_name, band_name = name.split(":")
                rows = (leg_class == LEG_CLASSES[class_name]) & (band == SEVERITY_BANDS[band_name])
                half[rows] = width
        return half

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Continuous severity (n,) clipped to [0, 4]."""
        # models saved by posescore 0.1 have no ordinal part
        ordinal = getattr(self, "ordinal_", None)
        return self._combine(self.regressor_, ordinal, np.asarray(X, dtype=float))

    def predict_interval(self, X: np.ndarray) -> np.ndarray:
        """(n, 2) lower and upper bound at ``interval_coverage``, within [0, 4]."""
        pred = self.predict(X)
        half = self.halfwidths(X, pred)
        return np.column_stack([np.clip(pred - half, 0, 4), np.clip(pred + half, 0, 4)])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, 5) probabilities of severity classes 0-4, from the ordinal model.

        Class k holds severities in [k - 0.5, k + 0.5) (class 0 below 0.5). Models saved by
        posescore 0.1 use their multinomial classifier (classes absent in training get 0).
        """
        X = np.asarray(X, dtype=float)
        ordinal = getattr(self, "ordinal_", None)
        if ordinal is not None:
            return cumulative_to_proba(self._above(ordinal, X))
        proba = self.classifier_.predict_proba(X)
        out = np.zeros((proba.shape[0], N_CLASSES))
        out[:, self.classifier_.classes_] = proba
        return out


@dataclass(frozen=True)
class LoadedModel:
    """A verified estimator and its model card."""

    estimator: LegSeverityModel
    card: dict
    path: Path

    @property
    def measures(self) -> list[str]:
        """Per-leg measure names in model order."""
        return list(self.card["measures"])


def save_model(estimator: LegSeverityModel, path: str | Path, card: dict) -> dict:
    """Write the estimator with skops and its card (with the file's SHA-256) beside it."""
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(estimator, path)
    card = {**card, "file": path.name, "sha256": file_sha256(path)}
    card_path(path).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    return card


def load_model(path: str | Path | None = None) -> LoadedModel:
    """Load a model after checking its card, its hash and every type it contains.

    A file verified once is loaded from ``model_cache`` afterwards (same SHA-256).

    Raises
    ------
    ModelError
        Missing file or card, hash mismatch (tampered file), or a type outside
        ``TRUSTED_TYPES`` (foreign file): nothing from the file is executed then.
    """
    path = model_path(path)
    card = checked_card(path)
    sha256 = card["sha256"]
    estimator = cached_estimator(sha256, LegSeverityModel)
    if estimator is None:
        estimator = _load_skops(path)
        keep_estimator(sha256, estimator)
    return LoadedModel(estimator=estimator, card=card, path=path)


def _load_skops(path: Path) -> LegSeverityModel:
    """The estimator of a skops file whose types are all on ``TRUSTED_TYPES``; else ModelError.

    Imports skops, which imports every scikit-learn module (``model_cache`` avoids it).
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    if not zipfile.is_zipfile(path):
        raise ModelError(f"{path.name} is not a readable skops model file (not a zip archive)")
    try:
        # one pass: skops audits every type against the list before it constructs anything
        estimator = sio.load(path, trusted=sorted(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        foreign = sorted(set(sio.get_untrusted_types(file=path)) - TRUSTED_TYPES)
        raise ModelError(
            f"{path.name} contains types outside the trusted list: {foreign}"
        ) from None
    except Exception as exc:
        raise ModelError(f"{path.name} could not be loaded ({type(exc).__name__}: {exc})") from exc
    if not isinstance(estimator, LegSeverityModel):
        raise ModelError(f"{path.name} holds a {type(estimator).__name__}, not a LegSeverityModel")
    return estimator
