"""Measure the minimal detectable change (MDC95) of every feature from test-retest phantoms.

Usage: python bench/mdc_phantom.py [--out posescore/data/mdc95.json] [--workers 2]
                                   [--duration 5] [--work-dir /tmp/posescore-mdc]

Method (Weir 2005; Haley & Fragala-Pinkham 2006): a test-retest pair is two phantom clips
with the same parameters (affected side, severity, view, walk, duration) and different seeds,
so the figure's look, gait jitter and sensor noise differ but the dystonia does not. Each
clip goes through the full pipeline (MediaPipe pose, cleaning, gait events, features).
For each per-leg measure, the differences d = retest - test are pooled over both legs and all
pairs; SEM = SD(d) / sqrt(2) and MDC95 = 1.96 * sqrt(2) * SEM = 1.96 * SD(d). The per-video
feature dicts are stored too, so that ``posescore.compare`` can measure the MDC95 of the
severity of whichever model it is given (by scoring these stored rows), without videos.

References
----------
Weir JP. Quantifying test-retest reliability using the intraclass correlation coefficient
and the SEM. J Strength Cond Res 2005;19:231-240.
Haley SM, Fragala-Pinkham MA. Interpreting change scores of tests and measures used in
physical therapy. Phys Ther 2006;86:735-743.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posescore import __version__  # noqa: E402
from posescore.config import Settings  # noqa: E402
from posescore.constants import SIDES  # noqa: E402
from posescore.features import (
    FEATURES,  # noqa: E402
    compute_features,  # noqa: E402
)
from posescore.gait import detect_gait_events  # noqa: E402
from posescore.phantom import PhantomParams, render_phantom  # noqa: E402
from posescore.pose import (
    extract_pose,  # noqa: E402
    extractor_version,  # noqa: E402
)
from posescore.signals import clean_pose  # noqa: E402

CONDITIONS = (
    # (affected side, severity) per view; sagittal views alternate walking in place / across
    ("none", 0.0),
    ("left", 1.5),
    ("right", 2.5),
    ("left", 4.0),
)
EXTRA_CONDITIONS = (
    # a second round (numbered after the first, so earlier pairs keep their seeds)
    ("right", 4.0),
    ("left", 2.5),
)
VIEWS = ("sagittal_left", "sagittal_right", "frontal")
SEED_BASE = 50_000


def pair_specs(duration_s: float) -> list[tuple[int, PhantomParams, PhantomParams]]:
    """Test-retest pairs: same parameters, seeds ``SEED_BASE + 2k`` and ``+ 2k + 1``."""
    pairs = []
    k = 0
    rounds = [(view, i, c) for view in VIEWS for i, c in enumerate(CONDITIONS)]
    rounds += [(view, i, c) for view in VIEWS for i, c in enumerate(EXTRA_CONDITIONS)]
    for view, i, (side, severity) in rounds:
        walk = "across" if view != "frontal" and i % 2 else "in_place"
        common = dict(
            affected_side=side, severity=severity, view=view, walk=walk, duration_s=duration_s
        )
        pairs.append(
            (
                k,
                PhantomParams(seed=SEED_BASE + 2 * k, **common),
                PhantomParams(seed=SEED_BASE + 2 * k + 1, **common),
            )
        )
        k += 1
    return pairs


def features_of_video(path: Path, settings: Settings) -> tuple[str, dict]:
    """View and feature dict of one video through the pipeline (pose cached)."""
    pose, _ = extract_pose(path, settings)
    traj = clean_pose(pose, settings.signal)
    events = {side: detect_gait_events(traj, side, settings.gait) for side in SIDES}
    return traj.view, compute_features(
        traj, events, settings.feature, min_strides=settings.quality.min_strides_per_measure
    )


def _one(job: tuple[int, PhantomParams, Path]) -> dict:
    pair, params, work = job
    video = work / f"mdc_pair{pair}_seed{params.seed}.mp4"
    if not video.exists():
        render_phantom(params, video)
    view, features = features_of_video(video, Settings())
    return {
        "pair": pair,
        "seed": params.seed,
        "affected_side": params.affected_side,
        "severity": {s: params.severity if s == params.affected_side else 0.0 for s in SIDES},
        "phantom_view": params.view,
        "walk": params.walk,
        "view": view,
        "features": features,
    }


def leg_class(view: str, side: str) -> str:
    """``near`` / ``far`` leg of a side view, ``frontal`` for frontal/posterior, else ``other``."""
    if view.startswith("sagittal_"):
        return "near" if view == f"sagittal_{side}" else "far"
    return "frontal" if view in ("frontal", "posterior") else "other"


def _entry(diffs: list[float], unit: str) -> dict:
    d = np.asarray(diffs, dtype=float)
    if d.size < 3:
        return {"unit": unit, "mdc95": None, "sem": None, "mean_diff": None,
                "n_diffs": int(d.size)}
    sd = float(np.std(d, ddof=1))
    return {
        "unit": unit,
        "mdc95": round(1.96 * sd, 4),
        "sem": round(sd / np.sqrt(2), 4),
        "mean_diff": round(float(d.mean()), 4),
        "n_diffs": int(d.size),
    }


def mdc_table(rows: list[dict]) -> dict[str, dict]:
    """MDC95 per per-leg measure (both legs pooled, and per leg class) and per asym feature.

    Per-leg measures get ``by_class``: the same statistic over the near legs of side views,
    the far legs, and the legs of frontal views only (the camera sees them differently).
    """
    by_pair: dict[int, list[dict]] = {}
    for row in rows:
        by_pair.setdefault(row["pair"], []).append(row)
    names: dict[str, tuple[str, list[str]]] = {}
    for name, spec in FEATURES.items():
        prefix, _, measure = name.partition("_")
        key = measure if prefix in SIDES else name
        names.setdefault(key, (spec.unit, []))[1].append(name)
    out = {}
    for key, (unit, columns) in names.items():
        diffs = []
        classes: dict[str, list[float]] = {}
        for pair_rows in by_pair.values():
            if len(pair_rows) != 2:
                continue
            ra, rb = pair_rows
            a, b = ra["features"], rb["features"]
            for col in columns:
                if a.get(col) is not None and b.get(col) is not None:
                    diffs.append(b[col] - a[col])
                    prefix = col.partition("_")[0]
                    if prefix in SIDES and ra["view"] == rb["view"]:
                        classes.setdefault(leg_class(ra["view"], prefix), []).append(
                            b[col] - a[col]
                        )
        out[key] = _entry(diffs, unit)
        if classes:
            out[key]["by_class"] = {c: _entry(v, unit) for c, v in sorted(classes.items())}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="posescore/data/mdc95.json")
    parser.add_argument("--work-dir", default="/tmp/posescore-mdc")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=5.0, help="clip length, s")
    args = parser.parse_args()
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    pairs = pair_specs(args.duration)
    jobs = [(k, p, work) for k, a, b in pairs for p in (a, b)]
    start = time.perf_counter()
    if args.workers <= 1:
        rows = [_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            rows = list(pool.map(_one, jobs))
    elapsed = time.perf_counter() - start
    table = mdc_table(rows)
    settings = Settings()
    doc = {
        "schema": "posescore-mdc95/1",
        "method": (
            "Test-retest phantom pairs: same PhantomParams (affected side, severity, view, "
            "walk, duration) and different seeds (look, gait jitter, noise), each through the "
            "full pipeline (MediaPipe pose, cleaning, gait events, features). Per measure, "
            "d = retest - test pooled over both legs and all pairs; SEM = SD(d)/sqrt(2); "
            "MDC95 = 1.96*sqrt(2)*SEM (Weir 2005). by_class: the same over near legs of "
            "side views, far legs, or frontal views only. Severity MDC95 is computed by "
            "posescore.compare from the stored rows with the model in use (rows whose seed "
            "the model card lists as training data are left out)."
        ),
        "n_pairs": len(pairs),
        "n_videos": len(rows),
        "clip": {"duration_s": args.duration, "fps": 30.0, "size": [640, 480]},
        "conditions": [
            {"affected_side": s, "severity": v} for s, v in (*CONDITIONS, *EXTRA_CONDITIONS)
        ],
        "views": list(VIEWS),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "posescore_version": __version__,
        "extractor": extractor_version(settings.pose, settings.subject),
        "command": "python bench/mdc_phantom.py",
        "measures": table,
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(rows)} videos in {elapsed:.0f} s -> {out}")
    for key, m in table.items():
        print(f"  {key:<40} MDC95={m['mdc95']} {m['unit']}  (n={m['n_diffs']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
