"""Hampel despiking of trajectories: replace isolated one- or two-frame glitches."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from posescore.geometry import finite_runs


def despike_runs(
    values: np.ndarray, window_frames: int, min_deviation: float, n_sigmas: float = 3.0
) -> np.ndarray:
    """Hampel filter over time within each finite run: replace isolated glitches.

    A pose estimator sometimes throws a landmark onto the other leg for one or two frames
    (common in side views where the legs overlap). A sample further than ``n_sigmas``
    robust standard deviations (1.4826 x MAD) from the running median of ``window_frames``
    is replaced by that median; other samples are untouched, so gait waveforms keep their
    peaks (Pearson RK. Outliers in process modeling and identification. IEEE Trans Control
    Syst Technol 2002;10:55-63).

    Parameters
    ----------
    values : ndarray, shape (T, ...)
        Signals along axis 0.
    window_frames : int
        Odd window length, frames (an even one is increased by one); < 3 disables.
    min_deviation : float
        Smallest deviation treated as a glitch, in the units of ``values``.
    n_sigmas : float
        Outlier threshold in robust standard deviations.

    Returns
    -------
    ndarray, same shape
    """
    out = values.copy()
    if window_frames < 3:
        return out
    window_frames += 1 - window_frames % 2
    flat = out.reshape(out.shape[0], -1)
    # columns with the same finite run are filtered in one call (the window spans time only)
    by_run: dict[tuple[int, int], list[int]] = {}
    for col in range(flat.shape[1]):
        for start, stop in finite_runs(np.isfinite(flat[:, col])):
            if stop - start >= window_frames:
                by_run.setdefault((start, stop), []).append(col)
    size = (window_frames, 1)
    for (start, stop), cols in by_run.items():
        run = flat[start:stop, cols]
        median = median_filter(run, size=size, mode="nearest")
        deviation = np.abs(run - median)
        t, c = np.nonzero(deviation > min_deviation)  # only these can be glitches
        mad = _running_median_at(deviation, t, c, window_frames)
        glitch = deviation[t, c] > n_sigmas * 1.4826 * mad
        run[t[glitch], c[glitch]] = median[t[glitch], c[glitch]]
        flat[start:stop, cols] = run
    return out


def _running_median_at(
    values: np.ndarray, rows: np.ndarray, cols: np.ndarray, window_frames: int
) -> np.ndarray:
    """``median_filter(values, (window_frames, 1), mode="nearest")[rows, cols]``, cheaply.

    Computes the running median only at the asked entries (the few glitch candidates of a
    Hampel filter), falling back to the whole filter when they are many.
    """
    if rows.size * window_frames > values.size:
        return median_filter(values, size=(window_frames, 1), mode="nearest")[rows, cols]
    half = window_frames // 2
    padded = np.pad(values, ((half, half), (0, 0)), mode="edge")  # scipy's "nearest"
    windows = padded[rows[:, None] + np.arange(window_frames), cols[:, None]]
    return np.median(windows, axis=1)
