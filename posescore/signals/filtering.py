"""Mask unseen landmarks, fill short gaps and low-pass filter trajectories over time.

Pure functions of arrays (T, ...) along time; NaN marks a missing sample, never a carried
value.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

from posescore.config import SignalConfig
from posescore.geometry import finite_runs

_MAX_NORMALISED_CUTOFF = 0.95
"""Highest Butterworth cut-off as a fraction of the Nyquist frequency."""


def seen_xy(landmarks: np.ndarray, cfg: SignalConfig) -> np.ndarray:
    """x, y (T, 33, 2) of the landmarks at or above the visibility threshold, NaN elsewhere."""
    seen = np.isfinite(landmarks[:, :, :2]).all(axis=2)
    seen &= landmarks[:, :, 3] >= cfg.visibility_threshold
    return np.where(seen[:, :, None], landmarks[:, :, :2], np.nan)



def fill_gaps(values: np.ndarray, timestamps_s: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """Linearly interpolate interior NaN gaps of at most ``max_gap_frames`` frames.

    Parameters
    ----------
    values : ndarray, shape (T, ...)
        Signals along axis 0; every trailing column is filled independently.
    timestamps_s : ndarray, shape (T,)
        Sample times used as the interpolation abscissa, s.
    max_gap_frames : int
        Longest run of missing frames that is filled; longer gaps and leading or trailing
        gaps stay NaN.

    Returns
    -------
    ndarray, same shape as ``values``
    """
    out = np.array(values, dtype=float, copy=True)
    if max_gap_frames < 1 or out.shape[0] < 3:
        return out
    flat = out.reshape(out.shape[0], -1)
    for col in range(flat.shape[1]):
        y = flat[:, col]
        finite = np.isfinite(y)
        if finite.all() or finite.sum() < 2:
            continue
        runs = finite_runs(~finite)
        known = np.flatnonzero(finite)
        for start, stop in runs:
            if start == 0 or stop == len(y) or stop - start > max_gap_frames:
                continue
            idx = np.arange(start, stop)
            y[idx] = np.interp(timestamps_s[idx], timestamps_s[known], y[known])
    return out


def lowpass_runs(values: np.ndarray, fps: float, cutoff_hz: float, order: int) -> np.ndarray:
    """Zero-phase Butterworth low-pass of each contiguous finite run along axis 0.

    The filter runs forward and backward (``filtfilt``, in second-order sections for
    numerical stability), so the effective order is ``2 * order`` and there is no phase lag.
    The cut-off is clamped to 0.95 of the Nyquist frequency. Runs not longer than the
    filter's default pad length are returned unfiltered.

    Parameters
    ----------
    values : ndarray, shape (T, K, D)
        K landmarks with D coordinates; a landmark's coordinates share one NaN pattern.
    fps : float
        Sampling rate, Hz.
    cutoff_hz : float
        -3 dB cut-off of the one-way filter, Hz.
    order : int
        Butterworth order of the one-way filter.

    Returns
    -------
    ndarray, shape (T, K, D)

    References
    ----------
    Winter DA. Biomechanics and Motor Control of Human Movement, 4th ed. Wiley 2009, ch. 2
    (low-pass filtering of marker trajectories).
    """
    out = np.array(values, dtype=float, copy=True)
    wn = min(cutoff_hz / (0.5 * fps), _MAX_NORMALISED_CUTOFF)
    sos = butter(order, wn, btype="low", output="sos")
    padlen = 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    # landmarks with the same finite run are filtered in one call (columns are independent)
    by_run: dict[tuple[int, int], list[int]] = {}
    for k in range(out.shape[1]):
        finite = np.isfinite(out[:, k, :]).all(axis=1)
        for start, stop in finite_runs(finite):
            if stop - start > padlen:
                by_run.setdefault((int(start), int(stop)), []).append(k)
    for (start, stop), ks in by_run.items():
        out[start:stop, ks, :] = sosfiltfilt(sos, out[start:stop, ks, :], axis=0)
    return out
