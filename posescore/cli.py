"""Command line: ``posescore score|compare|course|batch|phantom|...``: a thin shell."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from pydantic import ValidationError

from posescore import __version__
from posescore.config import PoseConfig, Settings, SubjectConfig, load_settings
from posescore.constants import TASKS, VIEWS
from posescore.errors import ConfigError, PosescoreError
from posescore.logs import filter_native_stderr, quiet_native_logs

if TYPE_CHECKING:
    from collections.abc import Callable

    from posescore.contract import Score, Visit

logger = logging.getLogger("posescore")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    updates: dict[str, Any] = {}
    if getattr(args, "model", None):
        updates["model"] = settings.model.model_copy(update={"path": Path(args.model)})
    pose: dict[str, Any] = {}
    if getattr(args, "no_cache", False):
        pose["use_cache"] = False
    if "chunk_processes" not in settings.pose.model_fields_set:
        # the command line owns its process: track a long video's chunks on every usable core
        pose["chunk_processes"] = max(1, min(settings.pose.chunks, len(os.sched_getaffinity(0))))
    if getattr(args, "chunks", None):
        pose["chunks"] = pose["chunk_processes"] = args.chunks
    if pose:
        try:
            updates["pose"] = PoseConfig.model_validate({**settings.pose.model_dump(), **pose})
        except ValidationError as exc:
            raise ConfigError(f"--chunks: {exc.errors()[0]['msg']}") from exc
    if getattr(args, "roi", None):
        try:
            roi = SubjectConfig.model_validate({"roi": args.roi}).roi
        except ValidationError as exc:
            raise ConfigError(f"--roi: {exc.errors()[0]['msg']}") from exc
        updates["subject"] = settings.subject.model_copy(update={"roi": roi})
    if getattr(args, "view", None):
        updates["signal"] = settings.signal.model_copy(update={"view": args.view})
    return settings.model_copy(update=updates)


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def summary_text(score: Score) -> str:
    """A readable summary of one score."""
    v, q, g = score.video, score.quality, score.gait
    lines = [
        f"video      {Path(v.path).name}  ({v.duration_s:.1f} s, {v.fps:.0f} fps, "
        f"{v.width}x{v.height})",
        f"task/view  {score.task} / {score.view}",
        f"quality    scorable={q.scorable}  pose={q.pose_detected_fraction:.0%}  "
        f"legs visible={q.legs_visible_fraction:.0%}",
        f"gait       cadence={_fmt(g.cadence_steps_per_min, 1)} steps/min  "
        f"stride={_fmt(g.stride_time_s)} s  steps={g.step_count}",
    ]
    for side in ("left", "right"):
        leg = getattr(score.legs, side)
        interval = leg.severity_interval
        span = f"[{interval[0]:.1f}, {interval[1]:.1f}]" if interval else ""
        lines.append(
            f"{side:<5} leg  severity={_fmt(leg.severity)} {span} class={leg.severity_class}"
        )
    lines.append(f"affected   {score.affected_side}")
    lines += [f"warning    {w.message} [{w.code.value}]" for w in q.warnings]
    from posescore.score import model_status

    lines.append(f"model      {model_status(score.model.model_dump())}")
    return "\n".join(lines)


def cmd_score(args: argparse.Namespace) -> int:
    """Score one video; optionally write JSON, an HTML report and an overlay video."""
    from posescore.score import score_video

    if not args.video.strip():
        raise PosescoreError("no video path given")
    scored = score_video(args.video, _settings(args), task=args.task)
    score = scored.to_model()
    result = score.to_json()
    print(summary_text(score))
    if args.json:
        _write_json(Path(args.json), result)
    if args.report:
        from posescore.report import score_report

        html = score_report(result, scored.traces, include_paths=args.show_path)
        _write_text(Path(args.report), html)
        print(f"report     {args.report}")
    if args.overlay:
        from posescore.overlay import render_overlay

        assert scored.traces is not None
        render_overlay(scored.video, scored.traces.pose, result, args.overlay,
                       events=scored.traces.events,
                       legs_exchanged=scored.traces.traj.legs_exchanged)
        print(f"overlay    {args.overlay} (every face found blurred)")
    return 0


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _write_text(path, json.dumps(data, indent=2) + "\n")


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file; a failure is a PosescoreError."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        if tmp.is_file():
            tmp.unlink()
        raise PosescoreError(f"cannot write {path}: {exc.strerror or exc}") from None


OUTPUT_OPTIONS = ("json", "report", "overlay")
"""Options naming an output file, checked before any work (``check_outputs``)."""


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse output paths that cannot be files, before scoring (not after minutes of it)."""
    for option in OUTPUT_OPTIONS:
        value = getattr(args, option, None)
        if not value:
            continue
        path = Path(value)
        if path.is_dir():
            raise PosescoreError(f"--{option} {value} is a folder; give a file name")
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise PosescoreError(f"--{option} {value}: {parent} is not a folder")


def _load_or_score(source: str, args: argparse.Namespace, settings: Settings, model: Any):
    """A score dict and its traces (None from JSON) for a video or a saved JSON result."""
    from posescore.score import score_video

    path = Path(source)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(path.read_text()), None
        except (OSError, ValueError) as exc:
            raise PosescoreError(f"cannot read result {path.name}: {exc}") from exc
    scored = score_video(path, settings, model=model, task=args.task)
    return scored.to_dict(), scored.traces


def _visit_loader(args: argparse.Namespace) -> tuple[Settings, Callable[[str | Path], Visit]]:
    """Settings, and a loader of visits (manifest, folder or visit JSON) with the model."""
    from posescore.model import load_model
    from posescore.score import score_video
    from posescore.visit import load_visit

    settings = _settings(args)
    model = load_model(settings.model.path)

    def score(video: Path, clip_settings: Settings, task: str) -> Score:
        return score_video(video, clip_settings, model, task).to_model()

    return settings, lambda path: load_visit(path, settings, score)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare a pre and a post session (videos or saved JSON results) or two visits."""
    from posescore.compare import compare_results, compare_text
    from posescore.model import load_model
    from posescore.visit_change import compare_visits, comparing_visits, visit_compare_text

    if comparing_visits(args.pre, args.post, args.report):
        settings, load = _visit_loader(args)
        visits = compare_visits(load(args.pre), load(args.post), settings,
                                (Path(args.pre).name, Path(args.post).name))
        print(visit_compare_text(visits))
        if args.json:
            _write_json(Path(args.json), visits.to_json())
        return 0
    settings = _settings(args)
    model = load_model(settings.model.path)
    pre, pre_tr = _load_or_score(args.pre, args, settings, model)
    post, post_tr = _load_or_score(args.post, args, settings, model)
    comparison = compare_results(
        pre, post, model=model, n_boot=args.n_boot, seed=args.seed,
        min_strides=settings.feature.min_strides, include_paths=args.show_path,
    )
    print(compare_text(comparison, only_beyond_noise=args.only_changes))
    if args.json:
        _write_json(Path(args.json), comparison)
    if args.report:
        from posescore.report import compare_report

        html = compare_report(comparison, pre, post, pre_tr, post_tr,
                              include_paths=args.show_path)
        _write_text(Path(args.report), html)
        print(f"report   {args.report}")
    return 0


def cmd_course(args: argparse.Namespace) -> int:
    """Score a treatment course from a manifest CSV; write table, trends, plot and report."""
    from posescore.course import run_course
    from posescore.model import load_model
    from posescore.score import score_video
    from posescore.visit_change import is_visit_course, run_visit_course, visit_course_text

    if is_visit_course(args.manifest):
        settings, load = _visit_loader(args)
        print(visit_course_text(run_visit_course(args.manifest, args.out, load, settings)))
        print(f"-> {args.out}")
        return 0
    settings = _settings(args)
    model = load_model(settings.model.path)


    def score(video: Path, task: str) -> Score:
        return score_video(video, settings, model=model, task=task).to_model()

    course = run_course(args.manifest, args.out, score, include_paths=args.show_path)
    print("\n".join([*course["summary"], ""]))
    for t in course["trends"]:
        if t["measure"].endswith("_severity"):
            ci = t["ci95"]
            span = f"[{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else ""
            print(f"{t['patient_id']} {t['phase']:<4} {t['task']} {t['measure']:<15} "
                  f"slope {t['slope_per_session']:+.3f}/session {span} {t['direction']}")
    failed = sum(bool(r["error"]) for r in course["sessions"])
    print(f"{len(course['sessions'])} sessions ({failed} failed) -> {args.out}")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """Score every video below a folder (see ``posescore.batch``)."""
    from posescore.batch import run_batch

    # Ctrl-C (and SIGTERM) must stop the batch cleanly even when the shell that started us
    # ignores SIGINT (background jobs do): finished results stay, tables are written.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    summary = run_batch(
        Path(args.folder), Path(args.out), _settings(args), task=args.task,
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
            f"{r['video']:<{width}}  {_fmt(r.get('left_severity')):>4}  "
            f"{_fmt(r.get('right_severity')):>5}  {str(r.get('affected_side') or '-'):<8}  "
            f"{_fmt(r.get('cadence_steps_per_min'), 1):>7}  "
            f"{r['error'] or ('' if r['scorable'] else 'not scorable')}"
        )
    return "\n".join(lines)


def cmd_profile(args: argparse.Namespace) -> int:
    """``posescore profile``: task-specificity (provoking factor, leg item) of a session."""
    from posescore.model import load_model
    from posescore.profile import profile_session, read_manifest
    from posescore.score import score_video

    settings = _settings(args)
    if args.manifest:
        pairs = [(task, str(video)) for task, video in read_manifest(args.manifest)]
    else:
        if not args.videos:
            raise PosescoreError("give task videos (with --tasks) or --manifest")
        if not args.tasks or len(args.tasks) != len(args.videos):
            raise PosescoreError("--tasks needs one task per video, in the same order")
        pairs = list(zip(args.tasks, args.videos))
    model = load_model(settings.model.path)
    scored = [(task, score_video(video, settings, model, task).to_model()) for task, video in pairs]
    profile = profile_session(scored, settings)
    text = json.dumps(profile, indent=2)
    if args.json:
        _write_text(Path(args.json), text)
    for side in ("left", "right"):
        leg = profile["legs"][side]
        print(
            f"{side:5s} provoking={leg['provoking_factor']}  severity={_fmt(leg['severity'])}  "
            f"leg item={_fmt(leg['leg_item'])}  posture in: {', '.join(leg['provoking_tasks'])}"
        )
    return 0


def cmd_visit(args: argparse.Namespace) -> int:
    """``posescore visit``: a visit's clips fused per leg (severity, interval, contributions)."""
    visit = _visit_loader(args)[1](args.visit)
    if args.json:
        _write_text(Path(args.json), json.dumps(visit.to_json(), indent=2))
    print("\n".join([*visit.summary, ""]))
    for clip in visit.clips:
        status = clip.error or ("scored" if clip.scorable else "not scorable")
        print(f"clip   {clip.video}  {clip.task} / {clip.view or '-'}  {status}")
    for side, leg in visit.legs.items():
        if leg.severity is None or leg.severity_interval is None or leg.severity_task is None:
            print(f"{side:5s} leg  not judged: {leg.reason}")
            continue
        lo, hi = leg.severity_interval
        clips = leg.by_task[leg.severity_task].clips
        weights = ", ".join(f"{c.video} {c.weight:.2f}" for c in clips)
        print(f"{side:5s} leg  severity={_fmt(leg.severity)} [{lo:.1f}, {hi:.1f}]  "
              f"({leg.severity_task}; weights: {weights})")
    print(f"affected   {visit.affected_side}")
    return 0


def cmd_phantom(args: argparse.Namespace) -> int:
    """Render phantom walking videos with ground truth sidecars (or a labelled data set)."""
    from posescore.phantom import PhantomParams, render_phantom

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.dataset is not None:
        return _phantom_dataset(args, out)
    from pydantic import ValidationError

    from posescore.phantom.expression import draw_expression

    for seed in args.seed:
        try:
            expression = None
            if args.expression_family and args.side != "none":
                try:
                    expression = draw_expression(args.severity, args.expression_family, seed)
                except ValueError as exc:
                    raise PosescoreError(f"phantom parameters: {exc}") from None
            params = PhantomParams(
                affected_side=args.side,
                expression=expression,
                severity=args.severity if args.side != "none" else 0.0,
                view=args.view,
                seed=seed,
                fps=args.fps,
                duration_s=args.duration,
                width=args.width,
                height=args.height,
                walk=args.walk,
            )
        except ValidationError as exc:  # e.g. --walk towards without --view frontal
            reasons = "; ".join(e["msg"] for e in exc.errors())
            raise PosescoreError(f"phantom parameters: {reasons}") from None
        name = args.name or (
            f"phantom_{args.side}_s{params.severity:g}_{args.view}_{args.walk}_seed{seed}"
        )
        if len(args.seed) > 1 and args.name:
            name = f"{args.name}_seed{seed}"
        path = out / f"{name}.mp4"
        render_phantom(params, path)
        print(path)
    return 0


def _phantom_dataset(args: argparse.Namespace, out: Path) -> int:
    """``posescore phantom --dataset N``: a reproducible labelled set with a manifest CSV."""
    from posescore.phantom import generate_dataset
    from posescore.phantom.families import VARIED_FAMILIES

    if len(args.seed) != 1:
        print("error: --dataset takes one --seed", file=sys.stderr)
        return 2
    if args.dataset < 1:
        print("error: --dataset needs at least 1 clip", file=sys.stderr)
        return 2
    try:
        manifest = generate_dataset(
            out, args.dataset, args.seed[0],
            families=args.families if args.families else VARIED_FAMILIES,
            hold_out_families=args.hold_out_families or (),
            workers=args.workers,
            clips_per_subject=args.clips_per_subject,
            duration_s=args.duration,
            healthy_fraction=args.healthy_fraction,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(manifest)
    return 0


def cmd_train_phantom(args: argparse.Namespace) -> int:
    """Train the default model on a rendered phantom set."""
    from posescore.training import train_on_phantom

    card = train_on_phantom(
        Path(args.out),
        Path(args.work_dir),
        n_videos=args.n_videos,
        seed=args.seed,
        families=args.families,
        duration_s=args.duration,
        settings=_settings(args),
        workers=args.workers,
    )
    print(json.dumps({"family_comparison": card["family_comparison"],
                      "cv_metrics": card["cv_metrics"]}, indent=2))
    print(f"model written to {args.out} (card: {Path(args.out).with_suffix('.card.json')})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the scoring service (FastAPI + worker pool) with uvicorn."""
    from api.app import serve

    serve(args.host, args.port)
    return 0


def _aligned(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows)


def cmd_keys(args: argparse.Namespace) -> int:
    """Create, list, revoke or rotate API keys of the service (stored hashed)."""
    from api.db import configured_session
    from api.keys import create_key, key_table, parse_scopes, revoke_key, rotate_key

    with configured_session() as db:
        if args.action == "create":
            expires = None if args.expires_days <= 0 else args.expires_days
            row, key = create_key(db, args.name, args.tenant, parse_scopes(args.scopes), expires)
        elif args.action == "rotate":
            row, key = rotate_key(db, args.id)
        elif args.action == "revoke":
            revoke_key(db, args.id)
            print(f"key {args.id} revoked")
            return 0
        else:
            rows = key_table(db)
            if args.format == "jsonl":
                print("\n".join(json.dumps(r) for r in rows))
            else:
                print(_aligned([list(rows[0])] + [list(r.values()) for r in rows]) if rows else "")
            return 0
    print(key)  # shown once: only its SHA-256 is stored
    print(f"key {row.id} (tenant {row.tenant}, scopes {row.scopes})", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Export the service's audit log from a time on, as CSV or JSON lines."""
    import csv
    from datetime import datetime

    from api.audit import FIELDS, audit_rows
    from api.db import configured_session

    try:
        since = datetime.fromisoformat(args.since)
    except ValueError:
        raise PosescoreError(
            f"--since {args.since!r} is not an ISO date or time, e.g. 2026-12-01T08:00"
        ) from None
    with configured_session() as db:
        rows = audit_rows(db, since)
        if args.format == "jsonl":
            for row in rows:
                print(json.dumps(row))
        else:
            writer = csv.DictWriter(sys.stdout, FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train a model from a clinic's ratings CSV."""
    from posescore.training import read_ratings, train_model

    videos = read_ratings(args.ratings)
    card = train_model(videos, Path(args.out), _settings(args), workers=args.workers)
    print(json.dumps({"family_comparison": card["family_comparison"],
                      "cv_metrics": card["cv_metrics"]}, indent=2))
    print(f"model written to {Path(args.out).with_suffix('.skops')}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a model on a labelled folder (ratings.csv or phantom truth sidecars)."""
    from posescore.model import load_model
    from posescore.training import evaluate_model, hold_out_group_figures, labelled_folder

    settings = _settings(args)
    model = load_model(settings.model.path)
    videos = labelled_folder(args.folder)
    if args.hold_out_family:
        figures = hold_out_group_figures(model, videos, settings, args.workers)
        print(transfer_text(figures["per_group"], figures["grouping"]))
        print(evaluation_text(figures["overall"], "all held-out groups together"))
        result: dict[str, Any] = figures
    else:
        result = evaluate_model(model, videos, settings, args.workers)
        print(evaluation_text(result, model.card.get("name", "model")))
    if args.json:
        _write_json(Path(args.json), result)
    return 0


def transfer_text(per_group: dict[str, dict[str, Any]], title: str) -> str:
    """One line per held-out group: the transfer figures (``evaluation.TRANSFER_KEYS``)."""

    def cell(value: Any) -> str:
        return "-" if value is None else (f"{value:.2f}" if isinstance(value, float)
                                          else str(value))

    head = (f"{'held out':20s} {'videos':>6s} {'Spearman':>8s} {'side>=2':>8s} "
            f"{'healthy':>8s} {'near sev4 min/median (n)':>26s} {'MAE':>6s} {'cover':>6s}")
    lines = [title, head]
    for group, m in per_group.items():
        near = (f"{cell(m['near_severe_min'])}/{cell(m['near_severe_median'])} "
                f"({m['n_near_severe_legs']})")
        lines.append(
            f"{group:20s} {m['n_videos']:6d} {cell(m['spearman_affected_leg']):>8s} "
            f"{cell(m['affected_side_accuracy_sev_ge_2']):>8s} "
            f"{cell(m['healthy_leg_median']):>8s} {near:>26s} {cell(m['mae']):>6s} "
            f"{cell(m['interval_coverage']):>6s}")
    return "\n".join(lines)


def cmd_normative(args: argparse.Namespace) -> int:
    """Build a normative reference of healthy walking from a labelled folder's healthy walks."""
    from posescore.abnormality import fit_reference
    from posescore.features import leg_measure_names
    from posescore.training import featurise, labelled_folder, scorable_only

    videos = [v for v in labelled_folder(args.folder) if not any(v.severity.values())]
    if not videos:
        raise PosescoreError(f"{args.folder} holds no walk with both legs rated 0")
    data = scorable_only(featurise(videos, _settings(args), args.workers), "healthy")
    reference = fit_reference([(d.features, d.view) for d in data], leg_measure_names(),
                              source=args.source or f"{len(data)} healthy walks")
    _write_json(Path(args.out), reference.to_dict())
    print(f"normative reference of {sum(reference.n_legs.values())} healthy legs "
          f"({', '.join(f'{k} {v}' for k, v in reference.n_legs.items())}) -> {args.out}")
    return 0


def evaluation_text(metrics: dict[str, Any], name: str) -> str:
    """Readable evaluation summary."""

    def show(key: str) -> str:
        value, ci = metrics.get(key), metrics.get(f"{key}_ci95")
        text = "-" if value is None else f"{value:.3f}"
        return text + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")

    lines = [
        f"model {name} on {metrics['n_videos']} videos of {metrics['n_subjects']} subjects "
        f"({metrics.get('n_not_scorable', 0)} not scorable, left out as the product gives "
        f"them no score; {metrics.get('n_skipped', 0)} unreadable)",
        f"  Spearman, affected leg      {show('spearman_affected_leg')}",
        f"  Spearman, all legs          {show('spearman_all_legs')}",
        f"  MAE                         {show('mae')}",
        f"  affected side right (>=2)   {show('affected_side_accuracy_sev_ge_2')}",
        f"  AUC dystonic vs normal      {show('auc_dystonic_vs_normal')}",
        f"  class accuracy              {show('class_accuracy')}",
        f"  interval coverage           {show('interval_coverage')} "
        f"(stated {metrics.get('interval_coverage_target')})",
        "  confusion (rows true class 0-4, columns predicted):",
    ]
    lines += [f"    {row}" for row in metrics["class_confusion"]]
    return "\n".join(lines)


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
        "pose.chunk_processes; default 2 for videos of at least 2 x pose.chunk_min_s)",
    )
    p.add_argument(
        "--show-path", action="store_true", help="put the video path in the report (off: withheld)"
    )
    p.set_defaults(func=cmd_score)

    p = sub.add_parser(
        "compare", help="compare a pre and a post session (change beyond measurement noise?)"
    )
    p.add_argument("pre", help="video or JSON of `posescore score --json`; or a visit: "
                   "manifest CSV, folder or JSON of `posescore visit --json`")
    p.add_argument("post", help="the same kind as pre")
    p.add_argument("--task", default="walk_forward", choices=TASKS)
    p.add_argument("--json", help="write the comparison JSON here")
    p.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--only-changes", action="store_true", help="list only changes beyond noise")
    p.add_argument("--show-path", action="store_true", help="put video paths in the outputs")
    p.add_argument("--no-cache", action="store_true", help="re-run pose estimation")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("course", help="treatment course from a manifest CSV: table, trends, plot")
    p.add_argument(
        "manifest", help="CSV with columns patient_id, session, date, phase, task, video; or "
        "a course of visits: visit, session, phase (date, patient_id optional)"
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.add_argument("--show-path", action="store_true", help="put video paths in the outputs")
    p.add_argument("--no-cache", action="store_true", help="re-run pose estimation")
    p.set_defaults(func=cmd_course)

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

    p = sub.add_parser(
        "profile", help="task-specificity of a session: provoking factor and leg item"
    )
    p.add_argument("videos", nargs="*", help="task videos of one session")
    p.add_argument("--tasks", nargs="+", choices=TASKS, help="task of each video, same order")
    p.add_argument("--manifest", help="CSV with columns video,task instead of VIDEO... --tasks")
    p.add_argument("--json", help="write the profile JSON here")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("visit", help="one visit's clips (views, tasks) scored as one, per leg")
    p.add_argument("visit", help="manifest CSV (video; optional task, view), a folder, or "
                   "the JSON of an earlier `posescore visit --json`")
    p.add_argument("--json", help="write the visit JSON here")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.set_defaults(func=cmd_visit)

    p = sub.add_parser("phantom", help="render synthetic walking videos with ground truth")
    p.add_argument("--out", required=True)
    p.add_argument("--side", default="none", choices=("left", "right", "none"))
    p.add_argument("--severity", type=float, default=0.0, help="0-4")
    p.add_argument(
        "--view", default="sagittal_left",
        choices=("sagittal_left", "sagittal_right", "frontal", "posterior", "oblique_left",
                 "oblique_right"),
    )
    p.add_argument("--walk", default="in_place", choices=("in_place", "across", "towards"))
    p.add_argument("--seed", type=int, nargs="+", default=[0])
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--duration", type=float, default=6.0, help="seconds")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--name", help="file name stem (default: from the parameters)")
    p.add_argument("--expression-family",
                   help="how the affected leg expresses dystonia, e.g. stiff_knee (the names: "
                        "docs/severity_rule.md); default: the original phantom's single picture")
    p.add_argument("--dataset", type=int, metavar="N",
                   help="render a labelled set of N varied clips with manifest.csv "
                        "(uses --out, one --seed, --duration; ignores the single-clip options)")
    p.add_argument("--families", type=int, nargs="+",
                   help="style families to draw from (default 1-5; 0 = original look)")
    p.add_argument("--hold-out-families", type=int, nargs="+",
                   help="families whose clips get split=test in the manifest")
    p.add_argument("--clips-per-subject", type=int, default=2)
    p.add_argument("--healthy-fraction", type=float, default=0.25,
                   help="share of subjects with no affected leg (--dataset; 1 = a healthy set "
                        "for `posescore normative`)")
    p.add_argument("--workers", type=int, default=1, help="rendering processes (--dataset)")
    p.set_defaults(func=cmd_phantom)

    p = sub.add_parser("train", help="train a model from a ratings CSV")
    p.add_argument(
        "ratings", help="CSV: video, subject_id, left_severity, right_severity[, task, rater]"
    )
    p.add_argument("--out", required=True, help="model path, e.g. models/clinic.skops")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a model on a labelled folder")
    p.add_argument("folder", help="folder with ratings.csv, or phantom videos + *.truth.json")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--json", help="write the metrics here")
    p.add_argument("--hold-out-family", action="store_true",
                   help="refit the model's recipe with each group (a phantom set's expression "
                        "family, a clinic's site) held out in turn and print its figures")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("normative", help="build a normative reference from healthy walks")
    p.add_argument("folder", help="labelled folder; its walks with both legs rated 0 are used")
    p.add_argument("--out", required=True, help="reference JSON to write")
    p.add_argument("--source", help="what the healthy walkers are (stored in the reference)")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_normative)

    p = sub.add_parser("train-phantom", help="train the default model on phantom videos")
    p.add_argument("--out", default="models/default.skops")
    p.add_argument(
        "--work-dir", default=".cache/ds_train", help="phantom data set (rendered unless present)"
    )
    p.add_argument("--n-videos", type=int, default=480)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--families", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5],
                   help="look families (every expression family of the disease is drawn)")
    p.add_argument("--duration", type=float, default=5.0, help="clip length, s")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_train_phantom)

    p = sub.add_parser("serve", help="run the scoring service (REST API and upload page)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 in a container)")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("keys", help="API keys of the service: create, list, revoke, rotate")
    keys = p.add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create a key and print it once")
    # `posescore create-key` is the same command under its first name (existing scripts)
    alias = sub.add_parser("create-key", help="same as `keys create`")
    for q in (create, alias):
        q.add_argument("--name", required=True, help="who or what uses the key")
        q.add_argument("--tenant", default="default",
                       help="clinic or department whose jobs and patients the key sees")
        q.add_argument("--scopes", default="submit,read",
                       help="comma-separated among submit, read, admin")
        q.add_argument("--expires-days", type=float, default=365,
                       help="lifetime in days; 0 = never expires")
        q.set_defaults(func=cmd_keys, action="create")
    q = keys.add_parser("list", help="every key: id, name, tenant, scopes, state, times")
    q.add_argument("--format", choices=("table", "jsonl"), default="table",
                   help="aligned table, or one JSON object per line")
    for action, text in (("revoke", "revoke a key at once"),
                         ("rotate", "print a new key with the same settings; revoke the old")):
        keys.add_parser(action, help=text).add_argument("id", type=int, help="key id (keys list)")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("audit", help="export the service's audit log (who read or wrote what)")
    p.add_argument("--since", required=True, help="ISO date or time (UTC unless it has a zone)")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p.set_defaults(func=cmd_audit)
    return parser


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
        check_outputs(args)
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


def run() -> None:
    """The ``posescore`` program: :func:`main` on the command line.

    MediaPipe's native log lines are kept off stderr unless ``--verbose``
    (``logs.filter_native_stderr``).
    """
    if not {"-v", "--verbose"} & set(sys.argv[1:]):
        filter_native_stderr()
    sys.exit(main())


if __name__ == "__main__":
    run()
