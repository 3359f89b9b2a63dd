"""Render a small labelled phantom set and store its MediaPipe features for test models.

Usage: python bench/phantom_features.py [--out tests/data/phantom_features.json] [--n 30]

The tests of ``posescore compare`` need a severity model that has NOT seen the test-retest
pairs of ``posescore/data/mdc95.json`` (its severity MDC95 is measured on them) and that does
not depend on which default model is shipped. This script renders ``n`` phantom clips
(seeds 60000+, disjoint from the MDC pairs and from ``posescore train-phantom``) with
severities drawn uniformly in [0.5, 4] for a left or right leg (every third clip healthy),
the three phantom views and both walking modes, runs the full pipeline and stores the feature
dict, view and true severities of each clip. ``tests/session_support.phantom_model`` trains a
small model on them in about a second.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mdc_phantom import _one  # noqa: E402

from posescore import __version__  # noqa: E402
from posescore.phantom import PhantomParams  # noqa: E402

SEED_BASE = 60_000


def specs(n: int, duration_s: float) -> list[PhantomParams]:
    rng = np.random.default_rng(SEED_BASE)
    views = ("sagittal_left", "sagittal_right", "frontal")
    out = []
    for i in range(n):
        side = ("left", "right", "none")[i % 3]
        view = views[(i // 3) % 3]
        severity = 0.0 if side == "none" else round(float(rng.uniform(0.5, 4.0)), 2)
        walk = "across" if view != "frontal" and rng.random() < 0.5 else "in_place"
        out.append(PhantomParams(affected_side=side, severity=severity, view=view, walk=walk,
                                 seed=SEED_BASE + i, duration_s=duration_s))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/data/phantom_features.json")
    parser.add_argument("--work-dir", default="/tmp/posescore-phantom-features")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=6.0)
    args = parser.parse_args()
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    jobs = [(i, p, work) for i, p in enumerate(specs(args.n, args.duration))]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    doc = {
        "schema": "posescore-phantom-features/1",
        "purpose": "training rows for small test models (not used by the library)",
        "n_videos": len(rows),
        "clip": {"duration_s": args.duration, "fps": 30.0, "size": [640, 480]},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "posescore_version": __version__,
        "command": "python bench/phantom_features.py",
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(rows)} videos in {time.perf_counter() - start:.0f} s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
