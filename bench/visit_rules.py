"""Other ways to fuse the four views of a phantom visit, on the visits of visit_views.py.

Usage:
    python bench/visit_rules.py VISITS.json [--work-dir $POSESCORE_CACHE/visit_views]

``VISITS.json`` is what ``bench/visit_views.py --json`` wrote; each clip's score is read from
the ``<walker>_<view>.score.json`` kept beside its video. For each rule it prints the affected
leg's Spearman correlation (visits with both legs read), the affected-side accuracy (visits
whose worse leg is >= 2 and 1 point worse than the other), the lowest reading of a leg of
severity >= 3 and how many of them read below 1.5, the healthy legs' median and the MAE:

- ``visit``: as ``posescore visit`` fuses (near side, front and back by their intervals; a
  side view's far leg only when no other clip sees the leg);
- ``worse plane``: the near side view's reading and the front and back fused, the larger of
  the two (a view cannot vouch for the absence of what it cannot see);
- ``worse plane, front only``: the same with the front clip alone;
- ``near side, else visit``: the near side view's reading where there is one;
- ``no back``: near side and front by their intervals;
- ``every clip``: all four by their intervals, far legs too.

The rules are compared after the fact on the same visits, so a rule that wins here is not
thereby better on new walkers. Measured 2026-12-08 on the 60 visits of
``visit_views.py --visits 60``: no rule meets issue 21's side and severe-leg criteria (see
docs/model.md, "Visits: four views fused").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from visit_views import SEVERE_READ_MIN, SEVERE_TRUE, VIEWS, criteria  # noqa: E402

from posescore.config import Settings  # noqa: E402
from posescore.constants import SIDES, other_side  # noqa: E402
from posescore.contract.score import Score  # noqa: E402
from posescore.evaluation import severity_metrics  # noqa: E402
from posescore.fusion import ClipReading, fuse_leg  # noqa: E402

Scores = dict[str, Optional[Score]]
RHO = Settings().visit.error_correlation


def _reading(score: Optional[Score], side: str, name: str) -> Optional[ClipReading]:
    if score is None or not score.quality.scorable:
        return None
    leg = getattr(score.legs, side)
    if leg.severity is None or leg.severity_interval is None:
        return None
    return ClipReading(name, leg.severity, tuple(leg.severity_interval))


def _fused(readings: list[Optional[ClipReading]]) -> Optional[float]:
    usable = [r for r in readings if r is not None]
    return fuse_leg(usable, RHO).severity if usable else None


def _near(scores: Scores, side: str) -> Optional[ClipReading]:
    return _reading(scores[f"sagittal_{side}"], side, "near")


def _wide(scores: Scores, side: str, views: tuple[str, ...]) -> list[Optional[ClipReading]]:
    return [_reading(scores[v], side, v) for v in views]


def visit(scores: Scores, side: str) -> Optional[float]:
    seeing = [_near(scores, side), *_wide(scores, side, ("frontal", "posterior"))]
    if not any(seeing):
        seeing = [_reading(scores[f"sagittal_{other_side(side)}"], side, "far")]
    return _fused(seeing)


def _larger(*values: Optional[float]) -> Optional[float]:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def worse_plane(scores: Scores, side: str) -> Optional[float]:
    near = _near(scores, side)
    return _larger(near.severity if near else None,
                   _fused(_wide(scores, side, ("frontal", "posterior"))))


def worse_plane_front_only(scores: Scores, side: str) -> Optional[float]:
    near, front = _near(scores, side), _reading(scores["frontal"], side, "frontal")
    return _larger(*(r.severity for r in (near, front) if r is not None))


def near_else_visit(scores: Scores, side: str) -> Optional[float]:
    near = _near(scores, side)
    return near.severity if near else visit(scores, side)


def no_back(scores: Scores, side: str) -> Optional[float]:
    return _fused([_near(scores, side), *_wide(scores, side, ("frontal",))])


def every_clip(scores: Scores, side: str) -> Optional[float]:
    return _fused(_wide(scores, side, VIEWS))


RULES: dict[str, Callable[[Scores, str], Optional[float]]] = {
    "visit": visit, "worse plane": worse_plane, "worse plane, front only":
    worse_plane_front_only, "near side, else visit": near_else_visit, "no back": no_back,
    "every clip": every_clip}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("visits", type=Path, help="the JSON of bench/visit_views.py --json")
    ap.add_argument("--work-dir", type=Path, default=Path(
        os.environ.get("POSESCORE_CACHE", ".cache")) / "visit_views")
    args = ap.parse_args()
    rows = json.loads(args.visits.read_text())["visits"]
    scores = [{v: Score.model_validate_json(
        (args.work_dir / f"{r['walker']}_{v}.score.json").read_text()) for v in VIEWS}
        for r in rows]
    truth = np.array([r["truth"] for r in rows], dtype=float)
    walkers = np.array([r["walker"] for r in rows])
    print(f"{'rule':24s} {'Spearman aff.':>13s} {'side ok':>9s} {'min >=3':>7s} "
          f"{'< 1.5':>6s} {'healthy med':>11s} {'MAE':>5s}")
    for name, rule in RULES.items():
        read = np.array([[np.nan if (x := rule(s, side)) is None else x for side in SIDES]
                         for s in scores])
        ok = np.all(np.isfinite(read), axis=1)
        m = severity_metrics(truth[ok].ravel(), read[ok].ravel(), np.repeat(walkers[ok], 2))
        c = criteria(truth, read)
        severe = np.nan_to_num(read[truth >= SEVERE_TRUE], nan=-1.0)
        print(f"{name:24s} {m['spearman_affected_leg']:13.3f} "
              f"{c['side_accuracy']:5.2f}/{c['n_side']:<3d} {c['severe_lowest']:7.2f} "
              f"{int((severe < SEVERE_READ_MIN).sum()):>2d}/{severe.size:<3d} "
              f"{m['healthy_leg_median']:11.2f} {m['mae']:5.2f}")


if __name__ == "__main__":
    main()
