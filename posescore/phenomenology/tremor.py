"""Foot tremor: its share of the foot's motion power and its band RMS, from raw landmarks.

Raw (unfiltered) landmarks: the cleaning low-pass removes the tremor band. Dystonic tremor
is irregular, 4-8 Hz (Albanese A, et al. Phenomenology and classification of dystonia: a
consensus update. Mov Disord 2013;28:863-873).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from scipy.signal import butter, sosfiltfilt, welch

from posescore.constants import LEG_LANDMARKS, SIDES, Side
from posescore.types import PoseSequence


def _gap_free(
    signal: np.ndarray, fps: float, lo_hz: float
) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """A (T,) signal with its NaN samples linearly interpolated over, and its finite mask.

    None when fewer than 16 samples, or two periods of the band's lower edge ``lo_hz``, are
    finite.
    """
    x = np.asarray(signal, dtype=float)
    ok = np.isfinite(x)
    if ok.sum() < max(16, int(2 * fps / lo_hz)):
        return None
    t = np.arange(x.size)
    return np.interp(t, t[ok], x[ok]), ok


def tremor_resolvable(filmed_fps: float, band_hz: tuple[float, float]) -> bool:
    """Whether distinct pictures per second resolve the tremor band (Nyquist: > 2 x its top)."""
    return filmed_fps > 2 * band_hz[1]


def tremor_measure(
    signal: np.ndarray,
    fps: float,
    band_hz: tuple[float, float],
    stride_hz: Optional[float] = None,
    filmed_fps: Optional[float] = None,
) -> tuple[Optional[float], Optional[float], Optional[str]]:
    """Tremor-band power share and irregularity of a (T,) signal.

    The power spectrum (Welch, 2 s segments) of the detrended signal is summed over the
    band and over everything from just below the band (``band_lo / 2``, or 1.5 x the stride
    frequency if larger, so that the stride's own slow rhythm does not dominate) up to the
    Nyquist frequency.

    Parameters
    ----------
    signal : ndarray, shape (T,)
        E.g. toe-minus-ankle position in leg lengths; NaN gaps are interpolated over.
    fps : float
        Sampling rate, Hz.
    band_hz : (float, float)
        Tremor band, Hz.
    stride_hz : float, optional
        Stride frequency, Hz.
    filmed_fps : float, optional
        Distinct pictures per second when frames repeat (``PoseSequence.filmed_fps``); the
        Nyquist check uses it. Default ``fps``.

    Returns
    -------
    share : float or None
        Band power / power above the low edge, 0-1.
    irregularity : float or None
        Spectral flatness within the band (geometric / arithmetic mean of the PSD), 0-1;
        near 1 = broadband, irregular; near 0 = one sharp (regular) peak.
    reason : str or None
        Why the measure is None (frame rate below Nyquist, too few samples, no motion).
    """
    lo, hi = band_hz
    filmed_fps = fps if filmed_fps is None else filmed_fps
    if not tremor_resolvable(filmed_fps, band_hz):
        return (
            None,
            None,
            (
                f"frame rate {filmed_fps:.1f} fps cannot resolve the {lo:g}-{hi:g} Hz tremor band "
                f"(needs more than {2 * hi:g} fps)"
            ),
        )
    filled = _gap_free(signal, fps, lo)
    if filled is None:
        return None, None, "too few frames with visible feet to measure tremor"
    x = filled[0]
    t = np.arange(x.size)
    x = x - np.polyval(np.polyfit(t, x, 1), t)
    if not np.any(np.abs(x) > 1e-12):
        return 0.0, None, None
    nper = int(min(x.size, round(2 * fps)))
    f, pxx = welch(x, fs=fps, nperseg=nper)
    low_edge = lo / 2
    if stride_hz is not None and np.isfinite(stride_hz):
        low_edge = max(low_edge, 1.5 * stride_hz)
    total = pxx[f >= low_edge].sum()
    in_band = (f >= lo) & (f <= hi)
    if not total > 0 or not in_band.any():
        return 0.0, None, None
    band = pxx[in_band]
    share = float(band.sum() / total)
    flat = float(np.exp(np.mean(np.log(band + 1e-30))) / np.mean(band)) if band.mean() > 0 else None
    return min(share, 1.0), flat, None


def raw_foot_signal(pose: PoseSequence, side: Side, visibility_threshold: float) -> np.ndarray:
    """Toe minus ankle (x and y summed in quadrature of their detrended parts) per frame, px."""
    lm = pose.landmarks
    idx = LEG_LANDMARKS[side]
    toe, ankle = lm[:, idx["toe"], :], lm[:, idx["ankle"], :]
    seen = (np.nan_to_num(toe[:, 3]) >= visibility_threshold) & (
        np.nan_to_num(ankle[:, 3]) >= visibility_threshold
    )
    d = toe[:, :2] - ankle[:, :2]
    d[~seen] = np.nan
    # the vertical component carries tremor of the foot; x adds the foot's fore-aft wobble
    return d[:, 1] + 0.5 * d[:, 0]


def tremor_band_rms(
    signal: np.ndarray, fps: float, band_hz: tuple[float, float], filmed_fps: Optional[float] = None
) -> float:
    """RMS of a (T,) signal in the tremor band (4th-order Butterworth, zero phase).

    NaN when the distinct-picture rate cannot resolve the band or too few samples are finite.
    """
    lo, hi = band_hz
    if (fps if filmed_fps is None else filmed_fps) <= 2 * hi or fps <= 2 * hi:
        return float("nan")
    filled = _gap_free(signal, fps, lo)
    if filled is None:
        return float("nan")
    x, ok = filled
    sos = butter(4, [lo, hi], btype="bandpass", fs=fps, output="sos")
    band = sosfiltfilt(sos, x - x.mean())
    return float(np.sqrt(np.mean(band[ok] ** 2)))


def foot_tremor_rms_leglen(
    pose: PoseSequence,
    legs_exchanged: Optional[np.ndarray],
    leg_length_px: float,
    band_hz: tuple[float, float],
    visibility_threshold: float,
) -> dict[Side, float]:
    """Per leg: tremor-band RMS of the raw foot signal (``raw_foot_signal``), leg lengths.

    ``legs_exchanged`` (T,) marks frames whose leg names the cleaning exchanged
    (``Trajectories.legs_exchanged``): there each leg takes the other name's landmarks.
    """
    raw = {side: raw_foot_signal(pose, side, visibility_threshold) for side in SIDES}
    swap = (np.zeros(len(pose.landmarks), dtype=bool) if legs_exchanged is None
            or len(legs_exchanged) != len(pose.landmarks) else np.asarray(legs_exchanged))
    out: dict[Side, float] = {}
    for side, other in (SIDES, SIDES[::-1]):
        signal = np.where(swap, raw[other], raw[side])
        rms = tremor_band_rms(signal, pose.fps, band_hz, pose.filmed_fps)
        out[side] = rms / leg_length_px if leg_length_px > 0 else float("nan")
    return out
