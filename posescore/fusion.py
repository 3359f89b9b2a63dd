"""Fusion of one leg's severity over the clips of a visit (pure maths, no I/O).

A visit films the same walker from several sides; each clip gives each leg a severity with a
90 % interval (``legs.<side>.severity_interval``). The fused severity is the precision-weighted
mean, each clip weighted by its own interval: a clip whose interval is narrow (the near leg
of a side view) counts more than one whose interval is wide (the far leg, a frontal view).
A clip's standard error is taken from the larger side of its interval, so a far leg read
near 0 with an interval up to 3 (it cannot be seen well) weighs little.

The errors of two clips of one walker are not independent: the same model reads the same
walker. On phantom visits (two clips of a subject in different views, the default model left
out one expression family at a time, ``bench/visit_fusion.py``) the residuals of the two
clips correlated at 0.70, so
the fused interval assumes a correlation ``rho`` between clips (``VisitConfig``) rather than
shrinking as if every clip were new information.

Reference: the variance of a weighted mean of correlated estimates,
``var = w' C w / (sum w)^2`` with ``C_ij = rho sigma_i sigma_j`` (i != j), ``C_ii = sigma_i^2``
(e.g. Cochran, *Sampling Techniques*, 3rd ed., 1977, ch. 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np

Z90 = 1.6449
"""Standard normal quantile of a two-sided 90 % interval."""
MIN_SIGMA = 0.05
"""Smallest per-clip standard error, severity points: a zero-width interval would take all
the weight."""


@dataclass(frozen=True)
class ClipReading:
    """One clip's reading of one leg: severity 0-4 and its 90 % interval."""

    clip: str
    severity: Optional[float]
    interval: Optional[tuple[float, float]]


@dataclass(frozen=True)
class FusedLeg:
    """A leg's severity fused over the clips that could read it.

    ``severity`` and ``interval`` are None when no clip could (``weights`` then empty).
    ``weights`` maps each contributing clip to its share of the fused severity (sums to 1).
    """

    severity: Optional[float]
    interval: Optional[tuple[float, float]]
    weights: dict[str, float]


def fuse_leg(readings: Sequence[ClipReading], rho: float) -> FusedLeg:
    """Precision-weighted severity of one leg over clips, with a correlated-error interval.

    Parameters
    ----------
    readings : sequence of ClipReading
        Clips without a severity or interval (not scorable) are left out.
    rho : float
        Assumed correlation, 0-1, of the errors of two clips of the same walker.

    Returns
    -------
    FusedLeg
        Severity and interval clipped to 0-4. Each clip's standard error is the larger side
        of its interval over z90 (a clip's interval is cut at 0 and 4, so its shorter side
        says nothing of its error), and the fused interval is symmetric before clipping.
    """
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho must lie in [0, 1], got {rho}")
    usable = [r for r in readings if r.severity is not None and r.interval is not None]
    if not usable:
        return FusedLeg(None, None, {})
    sev = np.array([r.severity for r in usable], dtype=float)
    lo = np.array([r.interval[0] for r in usable], dtype=float)  # type: ignore[index]
    hi = np.array([r.interval[1] for r in usable], dtype=float)  # type: ignore[index]
    sigma = np.maximum(np.maximum(sev - lo, hi - sev) / Z90, MIN_SIGMA)
    precision = 1.0 / sigma**2
    share = precision / precision.sum()
    fused = _severity(float(share @ sev))
    half = Z90 * _weighted_sigma(share, sigma, rho)
    interval = (_severity(fused - half), _severity(fused + half))
    weights = {r.clip: round(float(s), 4) for r, s in zip(usable, share)}
    return FusedLeg(_severity(fused), interval, weights)


def _severity(value: float) -> float:
    """A severity clipped to the 0-4 scale, to 3 decimals."""
    return round(float(np.clip(value, 0.0, 4.0)), 3)


def _weighted_sigma(share: np.ndarray, sigma: np.ndarray, rho: float) -> float:
    """Standard error of ``share @ x`` when the x have errors ``sigma`` correlated at ``rho``."""
    cov = rho * np.outer(sigma, sigma)
    np.fill_diagonal(cov, sigma**2)
    return float(np.sqrt(share @ cov @ share))
