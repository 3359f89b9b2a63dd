"""Bounded load test of a running scoring service: N concurrent uploads, then wait for all.

Loopback only; stops by itself (after --timeout seconds at most). Prints p50/p95 submit
latency, jobs completed, failed, lost and errors. Uploads cycle over --distinct phantom clips
(4 s each, rendered into a temp folder; the server's pose cache serves repeats).

Usage:
    posescore keys create --name bench            # prints KEY
    posescore serve --port 8000 &
    python bench/load_submit.py --url http://127.0.0.1:8000 --key KEY [--n 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def render_clips(folder: Path, n: int) -> list[Path]:
    from posescore.phantom import PhantomParams, render_phantom

    clips = []
    for i in range(n):
        path = folder / f"load_{i}.mp4"
        params = PhantomParams(affected_side="right", severity=float(i % 5), seed=500 + i,
                               view="sagittal_right", duration_s=4)
        render_phantom(params, path)
        clips.append(path)
    return clips


def submit(url: str, key: str, clip: Path, i: int) -> tuple[float, str | None, str | None]:
    """One upload; returns (latency_s, job_id, error)."""
    start = time.perf_counter()
    try:
        with open(clip, "rb") as fh:
            r = httpx.post(
                f"{url}/v1/jobs",
                headers={"X-API-Key": key},
                data={"patient": f"LOAD-{i % 5}", "session": "bench", "phase": "pre"},
                files={"video": ("clip.mp4", fh, "video/mp4")},
                timeout=60,
            )
    except httpx.HTTPError as exc:
        return time.perf_counter() - start, None, type(exc).__name__
    latency = time.perf_counter() - start
    if r.status_code != 202:
        return latency, None, f"HTTP {r.status_code}: {r.text[:120]}"
    return latency, r.json()["job_id"], None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True)
    parser.add_argument("--n", type=int, default=20, help="uploads, all sent at once")
    parser.add_argument("--distinct", type=int, default=4, help="different clips to cycle")
    parser.add_argument("--timeout", type=float, default=600, help="give up after, s")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in LOOPBACK:
        parser.error("this load test only targets a server on the loopback interface")
    if not 1 <= args.n <= 200:
        parser.error("--n must be 1-200")
    url = args.url.rstrip("/")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        clips = render_clips(Path(tmp), max(1, min(args.distinct, args.n)))
        print(f"rendered {len(clips)} clips in {time.monotonic() - started:.1f} s; "
              f"sending {args.n} uploads at once")
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.n) as pool:
            sent = list(pool.map(lambda i: submit(url, args.key, clips[i % len(clips)], i),
                                 range(args.n)))
    latencies = [s[0] for s in sent]
    jobs = [s[1] for s in sent if s[1]]
    errors = [s[2] for s in sent if s[2]]
    final: dict[str, str] = {}
    deadline = t0 + args.timeout
    with httpx.Client(base_url=url, headers={"X-API-Key": args.key}, timeout=30) as client:
        while len(final) < len(jobs) and time.monotonic() < deadline:
            for job_id in jobs:
                if job_id in final:
                    continue
                r = client.get(f"/v1/jobs/{job_id}")
                if r.status_code == 404:
                    final[job_id] = "lost"
                elif r.json()["status"] in ("done", "failed"):
                    final[job_id] = r.json()["status"]
            time.sleep(1.0)
    wall = time.monotonic() - t0
    done = sum(v == "done" for v in final.values())
    failed = sum(v == "failed" for v in final.values())
    lost = sum(v == "lost" for v in final.values())
    unfinished = len(jobs) - len(final)
    print(f"submit latency p50 {statistics.median(latencies):.3f} s, "
          f"p95 {percentile(latencies, 0.95):.3f} s, max {max(latencies):.3f} s")
    print(f"accepted {len(jobs)}/{args.n}, completed {done}, failed {failed}, lost {lost}, "
          f"unfinished {unfinished}, errors {len(errors)}; all finished after {wall:.1f} s")
    for error in sorted(set(errors)):
        print(f"  error: {error}")
    return 0 if done == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
