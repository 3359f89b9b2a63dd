"""The severity model compiled to numpy arrays: the same predictions without scikit-learn.

Importing scikit-learn takes about a second (it imports ``scipy.stats``), more than the rest
of a cached re-score. ``compile_model`` reads a fitted ``model.LegSeverityModel`` of a
histogram-gradient-boosting family into arrays: per tree the nodes' ``feature_idx``,
``num_threshold``, ``missing_go_to_left``, children and leaf values, plus each model's
baseline, link, the abnormality reference or the imputer's statistics, the conformal
half-widths and the training support. ``CompiledSeverityModel`` predicts from those arrays
with scikit-learn's semantics (``HistGradientBoosting*``'s ``_predict_from_raw_data``: NaN
goes where ``missing_go_to_left`` says, else left when ``x <= num_threshold``; the raw score
is the baseline plus each tree's leaf value in iteration order; binary probability
``expit(raw)``), so the two agree to rounding (``tests/unit/test_predictor.py``). The skops
file stays the source of truth; ``model_cache`` keeps the compiled form as a ``.npz``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from posescore.model_design import (
    cell_halfwidths,
    cumulative_to_proba,
    interval_bounds,
    monotone_above,
    point_severity,
)
from posescore.normative import abnormality_inputs

COMPILED_FORMAT = 1
"""Version of the compiled form and of ``compile_model``; part of the cache key (bump it when
either changes, so that caches written by an older compiler are rebuilt)."""

REFERENCE_KEYS = ("centre", "scale", "contra_centre", "contra_scale")
"""Arrays of ``NormativeReference.arrays`` an abnormality step holds."""


class NotCompilable(ValueError):
    """A fitted model with a part ``compile_model`` cannot express (forest, linear model)."""


@dataclass(frozen=True)
class BoostedTrees:
    """One output of histogram gradient boosting: trees as padded (n_trees, n_nodes) arrays.

    A leaf (and padding) points to itself, so ``depth`` steps take every row to its leaf.
    """

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    baseline: float
    depth: int
    logit: bool
    """True for a binary classifier (probability ``expit(raw)``), False for a regressor."""

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Raw score (n,) of rows ``X`` (n, p): baseline plus each tree's leaf, in order."""
        n_trees, n_rows = len(self.feature), len(X)
        trees = np.arange(n_trees)[:, None]
        rows = np.arange(n_rows)[None, :]
        node = np.zeros((n_trees, n_rows), dtype=np.intp)
        columns = np.ascontiguousarray(X.T)
        for _ in range(self.depth):
            x = columns[self.feature[trees, node], rows]
            go_left = np.where(np.isnan(x), self.missing_left[trees, node],
                               x <= self.threshold[trees, node])
            node = np.where(go_left, self.left[trees, node], self.right[trees, node])
        leaves = np.vstack([np.full((1, n_rows), self.baseline), self.value[trees, node]])
        return np.cumsum(leaves, axis=0)[-1]  # sequential sum, as scikit-learn's loop adds

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Regression output, or the probability of class 1 of a binary classifier (n,)."""
        raw = self.raw(X)
        return 1.0 / (1.0 + np.exp(-raw)) if self.logit else raw


TREE_ARRAYS = ("feature", "threshold", "missing_left", "left", "right", "value")
"""The array fields of ``BoostedTrees``; ``baseline``, ``depth`` and ``logit`` are scalars."""


@dataclass(frozen=True)
class CompiledPipeline:
    """Inputs (abnormality or imputation, when the pipeline had them) and boosted trees."""

    trees: BoostedTrees
    reference: Optional[dict[str, np.ndarray]] = None
    """``NormativeReference.arrays`` and ``empty_columns`` of an abnormality step."""
    impute: Optional[np.ndarray] = None
    """``SimpleImputer.statistics_`` (p,): the value of a missing input."""

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """The trees' inputs of leg rows ``X``."""
        if self.reference is not None:
            X = abnormality_inputs(X, self.reference, self.reference["empty_columns"])
        if self.impute is not None:
            X = np.where(np.isnan(X), self.impute, X)
        return X

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``BoostedTrees.predict`` of the inputs of ``X``."""
        return self.trees.predict(self.inputs(X))

    def to_arrays(self, name: str) -> dict[str, np.ndarray]:
        """Arrays named ``{name}.*`` (``from_arrays`` reads them back)."""
        trees = self.trees
        arrays = {f"{name}.{field}": getattr(trees, field) for field in TREE_ARRAYS}
        arrays[f"{name}.scalars"] = np.array([trees.baseline, trees.depth, trees.logit])
        arrays.update({f"{name}.reference.{k}": v for k, v in (self.reference or {}).items()})
        if self.impute is not None:
            arrays[f"{name}.impute"] = self.impute
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], name: str) -> CompiledPipeline:
        """The pipeline ``to_arrays(name)`` wrote."""
        baseline, depth, logit = arrays[f"{name}.scalars"]
        trees = BoostedTrees(*(arrays[f"{name}.{field}"] for field in TREE_ARRAYS),
                             baseline=float(baseline), depth=int(depth), logit=bool(logit))
        prefix = f"{name}.reference."
        reference = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        return cls(trees, reference or None, arrays.get(f"{name}.impute"))


OrdinalPart = Union[CompiledPipeline, float]
"""A binary model of "severity >= t", or that probability when training had one side only."""


@dataclass(frozen=True)
class CompiledSeverityModel:
    """``LegSeverityModel``'s predictions from arrays: the same prediction methods.

    ``params`` is the estimator's ``get_params()``; ``interval_halfwidths`` the conformal
    half-widths (``pooled``, ``by_class``, ``by_cell``: ``model_design.cell_halfwidths``).
    """

    params: dict[str, Any]
    regressor: CompiledPipeline
    ordinal: tuple[OrdinalPart, ...]
    interval_halfwidths: dict[str, Any]
    support_upper_: Optional[np.ndarray] = None
    """Upper edge of the training support of the abnormality inputs (``crosscheck``)."""

    def get_params(self) -> dict[str, Any]:
        """The estimator's parameters (a copy)."""
        return dict(self.params)

    @property
    def reference(self) -> Optional[dict]:
        """The normative reference (``NormativeReference.to_dict()`` form) or None."""
        return self.params.get("reference")

    @property
    def interval_coverage(self) -> float:
        """Target coverage of ``predict_interval``."""
        return float(self.params["interval_coverage"])

    def abnormality(self, X: np.ndarray) -> np.ndarray:
        """The abnormality inputs (n, 2k + 4) the model reads for leg rows ``X``."""
        if self.regressor.reference is None:
            raise ValueError(f"family {self.params['family']!r} reads no abnormality inputs")
        return self.regressor.inputs(np.asarray(X, dtype=float))

    def _above(self, X: np.ndarray) -> np.ndarray:
        return monotone_above([np.full(len(X), part) if isinstance(part, float)
                               else part.predict(X) for part in self.ordinal])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Continuous severity (n,) clipped to [0, 4]."""
        X = np.asarray(X, dtype=float)
        return point_severity(self.regressor.predict(X), self._above(X),
                              self.params["ordinal_weight"])

    def halfwidths(self, X: np.ndarray, pred: Optional[np.ndarray] = None) -> np.ndarray:
        """Conformal half-width (n,) of each row (``model_design.cell_halfwidths``)."""
        X = np.asarray(X, dtype=float)
        return cell_halfwidths(X[:, -1], self.predict(X) if pred is None else pred,
                               **self.interval_halfwidths)

    def predict_interval(self, X: np.ndarray) -> np.ndarray:
        """(n, 2) lower and upper bound at ``interval_coverage``, within [0, 4]."""
        pred = self.predict(X)
        return interval_bounds(pred, self.halfwidths(X, pred))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, 5) probabilities of severity classes 0-4, from the ordinal model."""
        return cumulative_to_proba(self._above(np.asarray(X, dtype=float)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Named arrays (``from_arrays`` reads them back); the rest as JSON in ``meta``."""
        arrays = self.regressor.to_arrays("regressor")
        ordinal: list[str | float] = []
        for i, part in enumerate(self.ordinal):
            if isinstance(part, float):
                ordinal.append(part)
            else:
                ordinal.append(f"ordinal{i}")
                arrays.update(part.to_arrays(f"ordinal{i}"))
        if self.support_upper_ is not None:
            arrays["support_upper"] = self.support_upper_
        meta = {"format": COMPILED_FORMAT, "params": self.params,
                "interval_halfwidths": self.interval_halfwidths, "ordinal": ordinal}
        arrays["meta"] = np.array(json.dumps(meta))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> CompiledSeverityModel:
        """Read ``to_arrays``'s form; ValueError or KeyError for anything else."""
        meta = json.loads(str(arrays["meta"]))
        if meta.get("format") != COMPILED_FORMAT:
            raise ValueError(f"compiled model format {meta.get('format')}, not {COMPILED_FORMAT}")
        ordinal = tuple(part if isinstance(part, float) else
                        CompiledPipeline.from_arrays(arrays, part) for part in meta["ordinal"])
        return cls(meta["params"], CompiledPipeline.from_arrays(arrays, "regressor"), ordinal,
                   meta["interval_halfwidths"], arrays.get("support_upper"))


def compile_model(estimator: Any) -> CompiledSeverityModel:
    """The compiled form of a fitted ``LegSeverityModel``.

    NotCompilable when a part is not histogram gradient boosting (after an abnormality
    transform or an imputer) or a constant. Imports scikit-learn (to recognise the parts);
    called once per model file.
    """
    if getattr(estimator, "ordinal_", None) is None:
        raise NotCompilable("a model without ordinal models (posescore <= 0.1)")
    return CompiledSeverityModel(
        params=estimator.get_params(),
        regressor=_compile_pipeline(estimator.regressor_, logit=False),
        ordinal=tuple(float(p) if isinstance(p, float) else _compile_pipeline(p, logit=True)
                      for p in estimator.ordinal_),
        interval_halfwidths={
            "pooled": float(estimator.interval_halfwidth_),
            "by_class": dict(getattr(estimator, "interval_halfwidth_by_class_", {})),
            "by_cell": dict(getattr(estimator, "interval_halfwidth_by_cell_", {})),
        },
        support_upper_=getattr(estimator, "support_upper_", None),
    )


def _compile_pipeline(pipeline: Any, logit: bool) -> CompiledPipeline:
    """A fitted ``[AbnormalityTransform | SimpleImputer] + HistGradientBoosting*`` pipeline."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer

    from posescore.abnormality import AbnormalityTransform

    *steps, last = [step for _, step in pipeline.steps]
    booster = HistGradientBoostingClassifier if logit else HistGradientBoostingRegressor
    if not isinstance(last, booster) or len(steps) > 1:
        raise NotCompilable(f"pipeline {[type(s).__name__ for s in pipeline.steps]}")
    reference = impute = None
    for step in steps:
        if isinstance(step, AbnormalityTransform):
            reference = {**step.reference_arrays(), "empty_columns": step.empty_columns_}
        elif isinstance(step, SimpleImputer) and np.isnan(step.missing_values):
            impute = np.asarray(step.statistics_, dtype=float)
        else:
            raise NotCompilable(f"step {type(step).__name__}")
    if logit and list(last.classes_) != [0, 1]:
        raise NotCompilable(f"classifier with classes {list(last.classes_)}")
    return CompiledPipeline(_compile_trees(last, logit), reference, impute)


def _compile_trees(booster: Any, logit: bool) -> BoostedTrees:
    """Padded node arrays of a fitted single-output ``HistGradientBoosting*`` model."""
    if booster.n_trees_per_iteration_ != 1 or booster.is_categorical_ is not None:
        raise NotCompilable("multi-output or categorical boosting")
    nodes = [predictors[0].nodes for predictors in booster._predictors]
    width = max(len(n) for n in nodes)
    self_index = np.tile(np.arange(width), (len(nodes), 1))
    out = {"feature": np.zeros((len(nodes), width), dtype=np.intp),
           "threshold": np.zeros((len(nodes), width)),
           "missing_left": np.zeros((len(nodes), width), dtype=bool),
           "left": self_index.copy(), "right": self_index.copy(),
           "value": np.zeros((len(nodes), width))}
    for t, tree in enumerate(nodes):
        inner = tree["is_leaf"] == 0
        n = len(tree)
        out["value"][t, :n] = tree["value"]
        out["feature"][t, :n] = np.where(inner, tree["feature_idx"], 0)
        out["threshold"][t, :n] = tree["num_threshold"]
        out["missing_left"][t, :n] = tree["missing_go_to_left"].astype(bool)
        out["left"][t, :n] = np.where(inner, tree["left"], np.arange(n))
        out["right"][t, :n] = np.where(inner, tree["right"], np.arange(n))
    return BoostedTrees(**out, baseline=float(np.ravel(booster._baseline_prediction)[0]),
                        depth=max(int(tree["depth"].max()) for tree in nodes), logit=logit)
