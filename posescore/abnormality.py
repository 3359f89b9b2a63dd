"""The scikit-learn transformer of the severity model's abnormality inputs.

``AbnormalityTransform`` wraps ``normative.abnormality_inputs`` (deviations from healthy
walking and from the other leg, in robust SDs) for a scikit-learn pipeline. It stays in this
module under this name because saved model files name it ``posescore.abnormality``; the
numpy-only maths and the normative reference live in ``posescore.normative``, so that scoring
with a compiled model (``posescore.predictor``) never imports scikit-learn.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from posescore.normative import NormativeReference, abnormality_inputs


class AbnormalityTransform(TransformerMixin, BaseEstimator):
    """Leg rows (own k, other leg's k, leg class) -> abnormality inputs.

    Output columns: ``normative.abnormality_inputs``. Every column but the last two grows
    with abnormality (``monotonic_cst``).

    Parameters
    ----------
    reference : dict
        ``NormativeReference.to_dict()`` form.
    measures : list of str
        The k measures of the rows, in order.
    """

    def __init__(self, reference: Optional[dict] = None, measures: Optional[list] = None) -> None:
        self.reference = reference
        self.measures = measures

    def fit(self, X: np.ndarray, y: Optional[np.ndarray] = None) -> AbnormalityTransform:
        """Check the shape against ``measures`` and note the inputs no row has.

        An input missing in every training row (``empty_columns_``, e.g. frontal-view measures
        in a set of side views) reads 0 afterwards: the model cannot split on it either way.
        """
        X = np.asarray(X, dtype=float)
        if self.reference is None or self.measures is None:
            raise ValueError("AbnormalityTransform needs a reference and its measures")
        if X.shape[1] != 2 * len(self.measures) + 1:
            raise ValueError(f"expected {2 * len(self.measures) + 1} columns, got {X.shape[1]}")
        self.n_features_in_ = X.shape[1]
        self.empty_columns_ = ~np.isfinite(self.transform(X)).any(axis=0)
        return self

    def reference_arrays(self) -> dict[str, np.ndarray]:
        """``NormativeReference.arrays`` of this transform's measures."""
        ref = NormativeReference.from_dict(self.reference)  # type: ignore[arg-type]
        return ref.arrays(self.measures)  # type: ignore[arg-type]

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Abnormality inputs (n, 2k + 4); NaN where a measure is missing."""
        return abnormality_inputs(X, self.reference_arrays(), getattr(self, "empty_columns_", None))

    def monotonic_cst(self) -> list[int]:
        """+1 for every abnormality column, -1 for the other leg's worst, 0 for the class."""
        k = len(self.measures)  # type: ignore[arg-type]
        return [1] * (2 * k + 2) + [-1, 0]

    def column_names(self) -> list[str]:
        """Names of ``transform``'s columns."""
        ms = list(self.measures)  # type: ignore[arg-type]
        return ([f"abs_z_normal_{m}" for m in ms] + [f"abs_z_other_leg_{m}" for m in ms]
                + ["worst_abs_z_normal", "worst_abs_z_other_leg",
                   "other_leg_worst_abs_z_normal", "near_leg"])
