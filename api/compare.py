"""The pre/post comparison the service reports, in one function.

A plain difference for now; ``posescore.compare`` (effect sizes, confidence intervals) is
meant to replace ``compare_pre_post`` when it exists.
"""

from __future__ import annotations

from typing import Any, Optional

METHOD = "difference post - pre of the two scores; no confidence interval"


def _change(pre: Optional[float], post: Optional[float]) -> Optional[float]:
    if pre is None or post is None:
        return None
    return round(post - pre, 3)


def compare_pre_post(pre: dict[str, Any], post: dict[str, Any]) -> dict[str, Any]:
    """Per-leg severity change and per-feature differences between two scores.

    Parameters
    ----------
    pre, post : dict
        Scores in the JSON contract (``ScoreResult.to_dict()``).

    Returns
    -------
    dict
        ``method``; ``legs.<side>`` with ``pre``, ``post`` and ``change`` (post - pre, on the
        0-4 severity scale; null when a video was not scorable); ``features.<name>`` likewise
        for every feature both scores share, in the feature's own unit.

    """
    legs = {}
    for side in ("left", "right"):
        a, b = pre["legs"][side]["severity"], post["legs"][side]["severity"]
        legs[side] = {"pre": a, "post": b, "change": _change(a, b)}
    features = {
        name: {
            "pre": pre["features"][name],
            "post": post["features"][name],
            "change": _change(pre["features"][name], post["features"][name]),
        }
        for name in pre["features"]
        if name in post["features"]
    }
    return {
        "method": METHOD,
        "affected_side": {"pre": pre["affected_side"], "post": post["affected_side"]},
        "legs": legs,
        "features": features,
    }
