"""Two voices that check each other: the learned severity against the leg's own measures.

After the model has scored a leg, its measures are read as deviations from healthy walking
and from the other leg (``abnormality``). The two disagree when

- the model says ``model.unbacked_severity`` or more while no measure of that leg lies
  outside its normal range (``model.normal_range_z``): the interval widens down to 0;
- a measure lies far outside its normal range (``model.far_outside_z``) while the model
  says the leg is healthy: the interval widens up to ``model.disagreement_upper``;
- the leg's abnormality lies well beyond what the model was trained on (its
  ``support_upper_``): the interval widens by ``model.support_widening`` on each side.

The far leg of a side view keeps an upper bound of at least ``model.far_leg_upper``: its
landmarks carry little of its posture, and it never gets a confident 0. Each case is said in
``quality.warnings`` and in the leg's ``abnormality`` block.

A clip filmed from a view none of the model's training clips had (``untrained_view_notice``:
the default model saw no clip from behind) is said in ``quality.warnings`` too: its severity
is read outside what the model was fitted and measured on.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from posescore.config import ModelConfig
from posescore.contract import Notice, NoticeCode
from posescore.model_file import SeverityEstimator
from posescore.normative import (
    LEG_CLASS_VALUES,
    NormativeReference,
    deviations,
    load_reference,
)


@dataclass
class LegCheck:
    """The cross-check of one leg: its interval after widening and what was found."""

    interval: tuple[float, float]
    outside_normal: dict[str, float] = field(default_factory=dict)
    """Measures outside their normal range: name -> the larger |z| (from healthy walking or
    from the other leg), rounded."""
    findings: list[str] = field(default_factory=list)
    """Codes: ``unbacked_severity``, ``unread_abnormality``, ``outside_training_support``,
    ``far_leg``."""
    notices: list[Notice] = field(default_factory=list)
    """One per finding, for ``quality.warnings``."""
    deviations: dict[str, dict[str, Optional[float]]] = field(default_factory=dict)
    """Per measure the signed z from healthy walking (``from_healthy_z``) and from the other
    leg (``from_other_leg_z``), rounded; None where the view cannot show the measure."""

    def find(self, code: NoticeCode, message: str) -> None:
        """Record a finding and its notice."""
        self.findings.append(code.value)
        self.notices.append(Notice(code=code, stage="crosscheck", message=message))

    def to_dict(self) -> dict[str, Any]:
        """The leg's ``abnormality`` block of the JSON."""
        return {"measures_outside_normal_range": self.outside_normal,
                "agreement": "agree" if not set(self.findings) - {"far_leg"} else "disagree",
                "findings": list(self.findings),
                "deviations": self.deviations}


def reference_of(estimator: SeverityEstimator) -> NormativeReference:
    """The model's own normative reference, else the shipped one (older or raw models)."""
    ref = getattr(estimator, "reference", None)
    return NormativeReference.from_dict(ref) if ref else load_reference()


def crosscheck(
    estimator: SeverityEstimator,
    X: np.ndarray,
    severity: np.ndarray,
    interval: np.ndarray,
    measures: Sequence[str],
    cfg: ModelConfig = ModelConfig(),
    sides: Optional[Sequence[str]] = None,
) -> list[LegCheck]:
    """Check each leg row's severity against its measures and widen its interval.

    Parameters
    ----------
    estimator : SeverityEstimator
        The fitted model (its ``reference`` and ``support_upper_`` when it has them).
    X : ndarray, shape (n, 2k + 1)
        Leg rows (``model.leg_rows``) of ``measures``.
    severity, interval : ndarray, shapes (n,) and (n, 2)
        The model's severity and interval per row.
    measures : sequence of str
        The k per-leg measures of the rows.
    cfg : ModelConfig
        Thresholds.
    sides : sequence of str, optional
        Leg name per row, for the messages (default "left"/"right" alternating).
    """
    X = np.asarray(X, dtype=float)
    ref = reference_of(estimator)
    usable = [m for m in measures if m in ref.measures]
    cols = [list(measures).index(m) for m in usable]
    k = len(measures)
    z_norm, z_contra = deviations(X[:, cols], X[:, [k + c for c in cols]], X[:, -1],
                                  ref.arrays(usable))
    worst = np.fmax(np.abs(z_norm), np.abs(z_contra))
    support = getattr(estimator, "support_upper_", None)
    inputs = estimator.abnormality(X)[:, :-1] if support is not None else None
    sides = sides if sides is not None else ["left", "right"] * (len(X) // 2)
    checks = []
    for i in range(len(X)):
        lo, hi = (float(v) for v in interval[i])
        s = float(severity[i])
        outside = {m: round(float(worst[i, j]), 1) for j, m in enumerate(usable)
                   if np.isfinite(worst[i, j]) and worst[i, j] > cfg.normal_range_z}
        check = LegCheck((lo, hi), outside, deviations={
            m: {"from_healthy_z": _rounded_z(z_norm[i, j]),
                "from_other_leg_z": _rounded_z(z_contra[i, j])}
            for j, m in enumerate(usable)})
        leg = f"{sides[i]} leg"
        if s >= cfg.unbacked_severity and not outside:
            check.find(
                NoticeCode.UNBACKED_SEVERITY,
                f"{leg}: the model reads {s:.1f} but none of the leg's measures lies outside "
                "its normal range; the two disagree, so the interval was widened down to 0")
            lo = 0.0
        far = {m: z for m, z in outside.items() if z >= cfg.far_outside_z}
        if s < cfg.affected_threshold and far:
            name, z = max(far.items(), key=lambda kv: kv[1])
            check.find(
                NoticeCode.UNREAD_ABNORMALITY,
                f"{leg}: {name} lies {z:.0f} robust SDs outside healthy walking while the "
                f"model reads {s:.1f}; the two disagree, so the interval was widened up to "
                f"{cfg.disagreement_upper:g}")
            hi = max(hi, cfg.disagreement_upper)
        if inputs is not None and support is not None:
            edge = cfg.support_margin * (np.asarray(support) + 1.0)
            beyond = np.isfinite(inputs[i]) & np.isfinite(edge) & (inputs[i] > edge)
            if beyond.any():
                check.find(
                    NoticeCode.OUTSIDE_TRAINING_SUPPORT,
                    f"{leg}: its measures lie beyond the training data of the model; the "
                    f"interval was widened by {cfg.support_widening:g} on each side")
                lo, hi = lo - cfg.support_widening, hi + cfg.support_widening
        if X[i, -1] == LEG_CLASS_VALUES["far"] and hi < cfg.far_leg_upper:
            check.find(
                NoticeCode.FAR_LEG,
                f"{leg} is the far leg of a side view: partly hidden, its severity is uncertain "
                f"(interval up to {cfg.far_leg_upper:g}); film the other side to judge it")
            hi = cfg.far_leg_upper
        check.interval = (round(max(lo, 0.0), 3), round(min(hi, 4.0), 3))
        checks.append(check)
    return checks


def untrained_view_notice(
    training_views: Optional[Collection[str]], view: Optional[str]
) -> Optional[Notice]:
    """A notice when ``view`` is not among the model's ``training_views`` (None: unknown)."""
    if not training_views or not view or view in training_views:
        return None
    return Notice(
        code=NoticeCode.VIEW_NOT_IN_TRAINING, stage="crosscheck",
        message=f"the model was trained on {', '.join(sorted(training_views))} clips, none "
        f"filmed as this one ({view}): its severities are less certain than the model card "
        "says; film from a view it knows as well")


def _rounded_z(z: float) -> Optional[float]:
    return round(float(z), 2) if np.isfinite(z) else None
