"""How often one ``posescore score VIDEO --overlay OUT`` opens and decodes the video.

    python bench/bench_decodes.py [--video sample_videos/X.mp4] [--runs 5] [--checkout DIR ...]

Each run is a fresh interpreter that wraps ``cv2.VideoCapture`` to count, per capture, the
frames grabbed (``grab``/``read``: demuxed and decoded) and retrieved (``retrieve``/``read``:
converted to BGR), and names the posescore function that opened it; then it runs the command
line with ``--no-cache`` (an empty pose cache) and an overlay. Printed per checkout: the
captures of the first run, the totals, and the median wall and CPU (user + system, this
process's threads) times of ``--runs`` runs, the checkouts interleaved run by run so that a
change in the machine's load hits them alike. Chunks tracked in other processes are not
counted (a video shorter than 2 x ``pose.chunk_min_s`` is one chunk). A ``--checkout DIR``
has its package imported (e.g. an exported older commit); default: this tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEO = ROOT / "sample_videos" / "normal_sagittal_right.mp4"

CHILD = r"""
import json, sys, time, traceback
import cv2

_Real = cv2.VideoCapture
captures = []

def _opener():
    for fr in reversed(traceback.extract_stack()[:-2]):
        if "posescore" in fr.filename and "/video/" not in fr.filename:
            return f"{fr.filename.split('posescore/', 1)[-1]}:{fr.name}"
    return "?"

class CountingCapture:
    def __init__(self, *args):
        self._cap = _Real(*args)
        self.stats = {"opened_by": _opener(), "grabbed": 0, "retrieved": 0}
        captures.append(self.stats)
    def grab(self):
        ok = self._cap.grab()
        self.stats["grabbed"] += bool(ok)
        return ok
    def retrieve(self, *a):
        ok, frame = self._cap.retrieve(*a)
        self.stats["retrieved"] += bool(ok)
        return ok, frame
    def read(self, *a):
        ok, frame = self._cap.read(*a)
        self.stats["grabbed"] += bool(ok)
        self.stats["retrieved"] += bool(ok)
        return ok, frame
    def __getattr__(self, name):
        return getattr(self._cap, name)

cv2.VideoCapture = CountingCapture
from posescore.cli import main
t0, c0 = time.perf_counter(), time.process_time()
rc = main(["score", sys.argv[1], "--no-cache", "--overlay", sys.argv[2]])
wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
print("BENCH" + json.dumps({"rc": rc, "wall_s": wall_s, "cpu_s": cpu_s, "captures": captures}))
"""


def run_once(video: Path, checkout: Path, out_dir: Path) -> dict:
    """One fresh interpreter: captures and wall time of a score with an overlay."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "POSESCORE_CACHE": str(out_dir / "cache")}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(video), str(out_dir / "overlay.mp4")],
        cwd=checkout, env=env, capture_output=True, text=True, check=True,
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH"))
    return json.loads(line[len("BENCH"):])


def main() -> None:
    """Print, per checkout, the captures of one run and the median times."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--checkout", type=Path, nargs="+", default=[ROOT])
    args = ap.parse_args()
    runs: dict[Path, list[dict]] = {c: [] for c in args.checkout}
    loads = []
    for _ in range(args.runs):
        for checkout, done in runs.items():
            with tempfile.TemporaryDirectory() as tmp:
                done.append(run_once(args.video.resolve(), checkout.resolve(), Path(tmp)))
            loads.append(os.getloadavg()[0])
    for checkout, done in runs.items():
        caps = done[0]["captures"]
        print(checkout)
        for cap in caps:
            print(f"  {cap['opened_by']:<45} grabbed {cap['grabbed']:>5}  "
                  f"retrieved {cap['retrieved']:>5}")
        print(f"  captures {len(caps)}  grabbed {sum(c['grabbed'] for c in caps)}  "
              f"retrieved {sum(c['retrieved'] for c in caps)}")
        for key in ("wall_s", "cpu_s"):
            values = [r[key] for r in done]
            print(f"  {key}: median {statistics.median(values):.2f} of {len(values)} "
                  f"({', '.join(f'{v:.2f}' for v in values)})")
    print(f"load average {min(loads):.1f}-{max(loads):.1f}")


if __name__ == "__main__":
    main()
