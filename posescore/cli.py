"""Command line: ``posescore score|batch|phantom|train-phantom``. A thin shell over the library."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from posescore import __version__
from pydantic import ValidationError

from posescore.config import Settings, SubjectConfig, load_settings
from posescore.constants import TASKS
from posescore.errors import ConfigError, PosescoreError

logger = logging.getLogger("posescore")

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}
BATCH_COLUMNS = (
    "video",
    "scorable",
    "left_severity",
    "right_severity",
    "affected_side",
    "cadence_steps_per_min",
    "error",
)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    updates: dict[str, Any] = {}
    if getattr(args, "model", None):
        updates["model"] = settings.model.model_copy(update={"path": Path(args.model)})
    if getattr(args, "no_cache", False):
        updates["pose"] = settings.pose.model_copy(update={"use_cache": False})
    if getattr(args, "roi", None):
        try:
            roi = SubjectConfig.model_validate({"roi": args.roi}).roi
        except ValidationError as exc:
            raise ConfigError(f"--roi: {exc.errors()[0]['msg']}") from exc
        updates["subject"] = settings.subject.model_copy(update={"roi": roi})
    return settings.model_copy(update=updates)


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def summary_text(result: dict[str, Any]) -> str:
    """A readable summary of one score (the JSON contract as a dict)."""
    q, g, legs = result["quality"], result["gait"], result["legs"]
    lines = [
        f"video      {Path(result['video']['path']).name}  "
        f"({result['video']['duration_s']:.1f} s, {result['video']['fps']:.0f} fps, "
        f"{result['video']['width']}x{result['video']['height']})",
        f"task/view  {result['task']} / {result['view']}",
        f"quality    scorable={q['scorable']}  pose={q['pose_detected_fraction']:.0%}  "
        f"legs visible={q['legs_visible_fraction']:.0%}",
        f"gait       cadence={_fmt(g.get('cadence_steps_per_min'), 1)} steps/min  "
        f"stride={_fmt(g.get('stride_time_s'))} s  steps={g.get('step_count')}",
    ]
    for side in ("left", "right"):
        leg = legs[side]
        interval = leg["severity_interval"]
        span = f"[{interval[0]:.1f}, {interval[1]:.1f}]" if interval else ""
        lines.append(
            f"{side:<5} leg  severity={_fmt(leg['severity'])} {span} class={leg['severity_class']}"
        )
    lines.append(f"affected   {result['affected_side']}")
    for warning in q["warnings"]:
        lines.append(f"warning    {warning}")
    m = result["model"]
    lines.append(
        f"model      {m['name']} (trained on {m['trained_on']}; "
        f"clinically validated: {'yes' if m['clinically_validated'] else 'no'})"
    )
    return "\n".join(lines)


def cmd_score(args: argparse.Namespace) -> int:
    """Score one video."""
    from posescore.score import score_video

    result = score_video(args.video, _settings(args), task=args.task).to_dict()
    print(summary_text(result))
    if args.json:
        _write_json(Path(args.json), result)
    return 0


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def find_videos(folder: Path) -> list[Path]:
    """Video files below ``folder`` (recursive), by suffix, sorted."""
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )


def batch_row(rel: str, result: Optional[dict[str, Any]], error: str = "") -> dict[str, Any]:
    """One row of scores.csv."""
    if result is None:
        return {"video": rel, "scorable": False, "error": error}
    return {
        "video": rel,
        "scorable": result["quality"]["scorable"],
        "left_severity": result["legs"]["left"]["severity"],
        "right_severity": result["legs"]["right"]["severity"],
        "affected_side": result["affected_side"],
        "cadence_steps_per_min": result["gait"].get("cadence_steps_per_min"),
        "error": error,
    }


def cmd_batch(args: argparse.Namespace) -> int:
    """Score every video in a folder; a broken video becomes an error row."""
    from posescore.model import load_model
    from posescore.score import score_video

    folder, out = Path(args.folder), Path(args.out)
    if not folder.is_dir():
        raise PosescoreError(f"not a folder: {folder}")
    settings = _settings(args)
    model = load_model(settings.model.path)
    videos = find_videos(folder)
    if not videos:
        raise PosescoreError(f"no video files ({', '.join(sorted(VIDEO_SUFFIXES))}) in {folder}")
    out.mkdir(parents=True, exist_ok=True)
    rows, start = [], time.perf_counter()
    for i, video in enumerate(videos, 1):
        rel = video.relative_to(folder).as_posix()
        try:
            result = score_video(video, settings, model=model, task=args.task).to_dict()
        except PosescoreError as exc:
            rows.append(batch_row(rel, None, str(exc)))
        except Exception as exc:  # one bad file must not stop an archive run
            rows.append(batch_row(rel, None, f"internal error: {type(exc).__name__}: {exc}"))
        else:
            _write_json(out / (rel.replace("/", "__") + ".json"), result)
            rows.append(batch_row(rel, result))
        status = rows[-1]["error"] or f"L={_fmt(rows[-1].get('left_severity'))} R={_fmt(rows[-1].get('right_severity'))}"
        print(f"[{i}/{len(videos)}] {rel}: {status}", file=sys.stderr)
    with open(out / "scores.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=BATCH_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(batch_table(rows))
    failed = sum(bool(r["error"]) for r in rows)
    print(
        f"scored {len(rows) - failed}, failed {failed}, "
        f"{time.perf_counter() - start:.1f} s -> {out / 'scores.csv'}"
    )
    return 0


def batch_table(rows: Sequence[dict[str, Any]]) -> str:
    """Fixed-width table of batch rows."""
    width = max([len("video")] + [len(r["video"]) for r in rows])
    lines = [f"{'video':<{width}}  left  right  affected  cadence  note"]
    for r in rows:
        lines.append(
            f"{r['video']:<{width}}  {_fmt(r.get('left_severity')):>4}  "
            f"{_fmt(r.get('right_severity')):>5}  {str(r.get('affected_side') or '-'):<8}  "
            f"{_fmt(r.get('cadence_steps_per_min'), 1):>7}  "
            f"{r['error'] or ('' if r['scorable'] else 'not scorable')}"
        )
    return "\n".join(lines)


def cmd_phantom(args: argparse.Namespace) -> int:
    """Render phantom walking videos with ground truth sidecars."""
    from posescore.phantom import PhantomParams, render_phantom

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for seed in args.seed:
        params = PhantomParams(
            affected_side=args.side,
            severity=args.severity if args.side != "none" else 0.0,
            view=args.view,
            seed=seed,
            fps=args.fps,
            duration_s=args.duration,
            width=args.width,
            height=args.height,
            walk=args.walk,
        )
        name = args.name or (
            f"phantom_{args.side}_s{params.severity:g}_{args.view}_{args.walk}_seed{seed}"
        )
        if len(args.seed) > 1 and args.name:
            name = f"{args.name}_seed{seed}"
        path = out / f"{name}.mp4"
        render_phantom(params, path)
        print(path)
    return 0


def cmd_train_phantom(args: argparse.Namespace) -> int:
    """Train the default model on a rendered phantom set."""
    from posescore.training import train_on_phantom

    card = train_on_phantom(
        Path(args.out),
        Path(args.work_dir),
        n_videos=args.n_videos,
        seed=args.seed,
        settings=_settings(args),
        workers=args.workers,
    )
    print(json.dumps(card["cv_metrics"], indent=2))
    print(f"model written to {args.out} (card: {Path(args.out).with_suffix('.card.json')})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the scoring service (FastAPI + worker pool) with uvicorn."""
    from api.app import serve

    serve(args.host, args.port)
    return 0


def cmd_create_key(args: argparse.Namespace) -> int:
    """Create an API key of the service and print it (it is stored hashed: shown only once)."""
    from api.security import new_api_key

    print(new_api_key(args.name))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the ``posescore`` command."""
    parser = argparse.ArgumentParser(
        prog="posescore", description="Score focal leg dystonia from walking videos."
    )
    parser.add_argument("--version", action="version", version=f"posescore {__version__}")
    parser.add_argument("--config", help="TOML settings file (see docs)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

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
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("batch", help="score every video in a folder")
    p.add_argument("folder")
    p.add_argument("--out", required=True, help="output folder (scores.csv + JSON per video)")
    p.add_argument("--task", default="walk_forward", choices=TASKS)
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.add_argument("--no-cache", action="store_true", help="re-run pose estimation")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("phantom", help="render synthetic walking videos with ground truth")
    p.add_argument("--out", required=True)
    p.add_argument("--side", default="none", choices=("left", "right", "none"))
    p.add_argument("--severity", type=float, default=0.0, help="0-4")
    p.add_argument(
        "--view", default="sagittal_left", choices=("sagittal_left", "sagittal_right", "frontal")
    )
    p.add_argument("--walk", default="in_place", choices=("in_place", "across"))
    p.add_argument("--seed", type=int, nargs="+", default=[0])
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--duration", type=float, default=6.0, help="seconds")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--name", help="file name stem (default: from the parameters)")
    p.set_defaults(func=cmd_phantom)

    p = sub.add_parser("train-phantom", help="train the default model on phantom videos")
    p.add_argument("--out", default="models/default.skops")
    p.add_argument("--work-dir", default=".cache/phantom_train", help="rendered videos go here")
    p.add_argument("--n-videos", type=int, default=90)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_train_phantom)

    p = sub.add_parser("serve", help="run the scoring service (REST API and upload page)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 in a container)")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("create-key", help="create an API key of the service and print it once")
    p.add_argument("--name", required=True, help="who or what uses the key")
    p.set_defaults(func=cmd_create_key)
    return parser


def quiet_native_logs() -> None:
    """Keep OpenCV's and FFmpeg's own messages off stderr (our errors say what went wrong)."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe/TensorFlow Lite info lines
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 error, 2 usage)."""
    quiet_native_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except PosescoreError as exc:
        if args.debug:
            raise
        print(f"posescore: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("posescore: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"posescore: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
