"""Answer times of the service's visit calls for one patient's course (no MediaPipe).

Stores ``--sessions`` sessions, each filmed pre and post from four views, as finished jobs
(the sample video's score, ``tests/data/score.json``) in an in-process app on a temporary
SQLite database, then times ``/v1/patients/course``, ``/visits``, ``/visit`` and ``/list``
(best of ``--repeat``).

Usage:
    python bench/api_visits_timing.py [--sessions 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

VIEWS = ("sagittal_left", "sagittal_right", "frontal", "posterior")


def main() -> None:
    from api_support import apps_without_workers, key_for, make_small_model, store_done_job
    from contract_support import clip_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="visits_timing_"))
    with apps_without_workers(tmp / "data", make_small_model(tmp)) as (app,):
        key, sm = key_for(app, "clinic-a"), app.app.state.sessionmaker
        for session in range(1, args.sessions + 1):
            for phase in ("pre", "post"):
                for view in VIEWS:
                    score = clip_score(view, (2.0, [1.5, 2.5]), (0.1, [0.0, 0.6])).to_json()
                    store_done_job(sm, "P", phase, score, "clinic-a", session=f"day{session}",
                                   view=view)
        calls = [("/v1/patients/course", {"patient": "P"}),
                 ("/v1/patients/visits", {"patient": "P"}),
                 ("/v1/patients/visit", {"patient": "P", "session": "day1", "phase": "pre"}),
                 ("/v1/patients/list", {})]
        print(f"{args.sessions} sessions x pre/post x {len(VIEWS)} views")
        for path, body in calls:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                answer = app.post(path, headers=key, json=body)
                times.append(time.perf_counter() - start)
                answer.raise_for_status()
            print(f"{path:<24} best {1000 * min(times):.0f} ms of {args.repeat}, "
                  f"{len(answer.content)} bytes")


if __name__ == "__main__":
    main()
