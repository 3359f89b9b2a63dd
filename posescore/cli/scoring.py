"""``posescore score`` (one video) and ``posescore batch`` (every video below a folder)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posescore.cli.common import fmt, settings_from, write_json, write_text
from posescore.constants import TASKS, VIEWS
from posescore.errors import PosescoreError

if TYPE_CHECKING:
    from posescore.contract import Score


def summary_text(score: Score) -> str:
    """A readable summary of one score."""
    from posescore.score import model_status

    v, q, g = score.video, score.quality, score.gait
    lines = [
        f"video      {Path(v.path).name}  ({v.duration_s:.1f} s, {v.fps:.0f} fps, "
        f"{v.width}x{v.height})",
        f"task/view  {score.task} / {score.view}",
        f"quality    scorable={q.scorable}  pose={q.pose_detected_fraction:.0%}  "
        f"legs visible={q.legs_visible_fraction:.0%}",
        f"gait       cadence={fmt(g.cadence_steps_per_min, 1)} steps/min  "
        f"stride={fmt(g.stride_time_s)} s  steps={g.step_count}",
    ]
    for side in ("left", "right"):
        leg = getattr(score.legs, side)
        interval = leg.severity_interval
        span = f"[{interval[0]:.1f}, {interval[1]:.1f}]" if interval else ""
        lines.append(
            f"{side:<5} leg  severity={fmt(leg.severity)} {span} class={leg.severity_class}"
        )
    lines.append(f"affected   {score.affected_side}")
    lines += [f"warning    {w.message} [{w.code.value}]" for w in q.warnings]
    lines.append(f"model      {model_status(score.model.model_dump())}")
    return "\n".join(lines)


def cmd_score(args: argparse.Namespace) -> int:
    """Score one video; optionally write JSON, an HTML report and an overlay video."""
    from posescore.score import score_video

    if not args.video.strip():
        raise PosescoreError("no video path given")
    scored = score_video(args.video, settings_from(args), task=args.task)
    score = scored.to_model()
    result = score.to_json()
    print(summary_text(score))
    if args.json:
        write_json(Path(args.json), result)
    if args.report:
        from posescore.report import score_report

        html = score_report(result, scored.traces, include_paths=args.show_path)
        write_text(Path(args.report), html)
        print(f"report     {args.report}")
    if args.overlay:
        from posescore.overlay import render_overlay

        assert scored.traces is not None
        render_overlay(scored.video, scored.traces.pose, result, args.overlay,
                       events=scored.traces.events,
                       legs_exchanged=scored.traces.traj.legs_exchanged)
        print(f"overlay    {args.overlay} (every face found blurred)")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """Score every video below a folder (see ``posescore.batch``)."""
    from posescore.batch import run_batch

    # Ctrl-C (and SIGTERM) must stop the batch cleanly even when the shell that started us
    # ignores SIGINT (background jobs do): finished results stay, tables are written.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    summary = run_batch(
        Path(args.folder), Path(args.out), settings_from(args), task=args.task,
        workers=args.workers, resume=args.resume, anonymize=args.anonymize,
        progress=not args.no_progress and sys.stderr.isatty() or args.progress,
        scheduler=args.scheduler,
    )
    if len(summary.rows) <= 50:
        print(batch_table(summary.rows))
    print(f"{summary.text()} -> {Path(args.out) / 'scores.csv'} (+ scores.parquet)")
    return 130 if summary.interrupted else 0


def batch_table(rows: Sequence[dict[str, Any]]) -> str:
    """Fixed-width table of batch rows."""
    width = max([len("video")] + [len(r["video"]) for r in rows])
    lines = [f"{'video':<{width}}  left  right  affected  cadence  note"]
    for r in rows:
        lines.append(
            f"{r['video']:<{width}}  {fmt(r.get('left_severity')):>4}  "
            f"{fmt(r.get('right_severity')):>5}  {str(r.get('affected_side') or '-'):<8}  "
            f"{fmt(r.get('cadence_steps_per_min'), 1):>7}  "
            f"{r['error'] or ('' if r['scorable'] else 'not scorable')}"
        )
    return "\n".join(lines)


def add_score(sub: argparse._SubParsersAction) -> None:
    """The ``score`` command's options."""
    p = sub.add_parser("score", help="score one video")
    p.add_argument("video")
    p.add_argument("--task", default="walk_forward", choices=TASKS)
    p.add_argument("--json", help="write the JSON result here")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.add_argument("--no-cache", action="store_true", help="re-run pose estimation")
    p.add_argument(
        "--roi",
        type=int,
        nargs=4,
        metavar=("X0", "Y0", "X1", "Y1"),
        help="region (pixels of the upright frame) holding the subject, when several people",
    )
    p.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--view", choices=VIEWS,
                   help="the camera view, when known (default: detected); a posterior view's "
                        "left and right follow the body's geometry")
    p.add_argument(
        "--overlay", metavar="OUT.mp4", help="write the video with skeleton, flags, faces blurred"
    )
    p.add_argument(
        "--chunks",
        type=int,
        metavar="N",
        help="track N consecutive chunks of the video in N processes (pose.chunks and "
        "execution.chunk_processes; default 2 for videos of at least 2 x pose.chunk_min_s)",
    )
    p.add_argument(
        "--show-path", action="store_true", help="put the video path in the report (off: withheld)"
    )
    p.set_defaults(func=cmd_score)


def add_batch(sub: argparse._SubParsersAction) -> None:
    """The ``batch`` command's options."""
    p = sub.add_parser("batch", help="score every video below a folder (recursive)")
    p.add_argument("folder")
    p.add_argument(
        "--out", required=True, help="output folder (scores.csv, scores.parquet, JSON per video)"
    )
    p.add_argument("--task", default="walk_forward", choices=TASKS)
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.add_argument("--no-cache", action="store_true", help="re-run pose estimation")
    p.add_argument("--workers", type=int, default=1, help="processes (each loads the model once)")
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        default=os.environ.get("POSESCORE_DASK_SCHEDULER") or None,
        help="run on this Dask distributed cluster instead of local processes "
        "(default $POSESCORE_DASK_SCHEDULER); videos must be at the same paths on the workers",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip videos already scored with the same model and pose extractor",
    )
    p.add_argument(
        "--anonymize", action="store_true", help="replace file names in outputs by salted hashes"
    )
    p.add_argument("--progress", action="store_true", help="progress bar even when not a tty")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_batch)
