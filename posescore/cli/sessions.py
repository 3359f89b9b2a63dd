"""Commands over several videos of one patient: ``compare``, ``course``, ``profile``, ``visit``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posescore.cli.common import fmt, settings_from, write_json, write_text
from posescore.constants import TASKS
from posescore.errors import PosescoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from posescore.config import Settings
    from posescore.contract import Score, Visit


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
    from posescore.model_file import load_model
    from posescore.score import score_video
    from posescore.visit import load_visit

    settings = settings_from(args)
    model = load_model(settings.model.path)

    def score(video: Path, clip_settings: Settings, task: str) -> Score:
        return score_video(video, clip_settings, model, task).to_model()

    return settings, lambda path: load_visit(path, settings, score)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare a pre and a post session (videos or saved JSON results) or two visits."""
    from posescore.compare import compare_results, compare_text
    from posescore.model_file import load_model
    from posescore.visit_change import comparing_visits

    if comparing_visits(args.pre, args.post):
        return _compare_visits(args)
    settings = settings_from(args)
    model = load_model(settings.model.path)
    pre, pre_tr = _load_or_score(args.pre, args, settings, model)
    post, post_tr = _load_or_score(args.post, args, settings, model)
    comparison = compare_results(
        pre, post, model=model, n_boot=args.n_boot, seed=args.seed,
        min_strides=settings.quality.min_strides_per_measure, include_paths=args.show_path,
    )
    print(compare_text(comparison, only_beyond_noise=args.only_changes))
    if args.json:
        write_json(Path(args.json), comparison)
    if args.report:
        from posescore.report import compare_report

        html = compare_report(comparison, pre, post, pre_tr, post_tr,
                              include_paths=args.show_path)
        write_text(Path(args.report), html)
        print(f"report   {args.report}")
    return 0


def _compare_visits(args: argparse.Namespace) -> int:
    """``compare`` of two visits: text, and the JSON and HTML report when asked."""
    from posescore.visit_change import compare_visits, visit_compare_text
    from posescore.visit_report import visit_compare_report

    settings, load = _visit_loader(args)
    pre, post = load(args.pre), load(args.post)
    comparison = compare_visits(pre, post, settings, (Path(args.pre).name, Path(args.post).name))
    print(visit_compare_text(comparison))
    if args.json:
        write_json(Path(args.json), comparison.to_json())
    if args.report:
        write_text(Path(args.report), visit_compare_report(comparison, pre, post))
        print(f"report   {args.report}")
    return 0


def cmd_course(args: argparse.Namespace) -> int:
    """Score a treatment course from a manifest CSV; write table, trends, plot and report."""
    from posescore.course import run_course
    from posescore.model_file import load_model
    from posescore.score import score_video
    from posescore.visit_change import is_visit_course, run_visit_course, visit_course_text

    if is_visit_course(args.manifest):
        settings, load = _visit_loader(args)
        print(visit_course_text(run_visit_course(args.manifest, args.out, load, settings)))
        print(f"-> {args.out}")
        return 0
    settings = settings_from(args)
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


def cmd_profile(args: argparse.Namespace) -> int:
    """``posescore profile``: task-specificity (provoking factor, leg item) of a session."""
    from posescore.model_file import load_model
    from posescore.profile import profile_session, read_manifest, score_tasks
    from posescore.score import score_video

    settings = settings_from(args)
    if args.manifest:
        pairs = [(task, str(video)) for task, video in read_manifest(args.manifest)]
    else:
        if not args.videos:
            raise PosescoreError("give task videos (with --tasks) or --manifest")
        if not args.tasks or len(args.tasks) != len(args.videos):
            raise PosescoreError("--tasks needs one task per video, in the same order")
        pairs = list(zip(args.tasks, args.videos))
    model = load_model(settings.model.path)
    scored = score_tasks(pairs, lambda video, task: score_video(video, settings, model,
                                                                 task).to_model())
    profile = profile_session(scored, settings)
    text = json.dumps(profile, indent=2)
    if args.json:
        write_text(Path(args.json), text)
    for side in ("left", "right"):
        leg = profile["legs"][side]
        print(
            f"{side:5s} provoking={leg['provoking_factor']}  severity={fmt(leg['severity'])}  "
            f"leg item={fmt(leg['leg_item'])}  posture in: {', '.join(leg['provoking_tasks'])}"
        )
    return 0


def cmd_visit(args: argparse.Namespace) -> int:
    """``posescore visit``: a visit's clips fused per leg (severity, interval, contributions)."""
    visit = _visit_loader(args)[1](args.visit)
    if args.json:
        write_text(Path(args.json), json.dumps(visit.to_json(), indent=2))
    if args.report:
        from posescore.visit_report import visit_report

        write_text(Path(args.report), visit_report(visit, Path(args.visit).name))
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
        print(f"{side:5s} leg  severity={fmt(leg.severity)} [{lo:.1f}, {hi:.1f}]  "
              f"({leg.severity_task}; weights: {weights})")
    print(f"affected   {visit.affected_side}")
    return 0


def add_compare(sub: argparse._SubParsersAction) -> None:
    """The ``compare`` command's options."""
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


def add_course(sub: argparse._SubParsersAction) -> None:
    """The ``course`` command's options."""
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


def add_profile(sub: argparse._SubParsersAction) -> None:
    """The ``profile`` command's options."""
    p = sub.add_parser(
        "profile", help="task-specificity of a session: provoking factor and leg item"
    )
    p.add_argument("videos", nargs="*", help="task videos of one session")
    p.add_argument("--tasks", nargs="+", choices=TASKS, help="task of each video, same order")
    p.add_argument("--manifest", help="CSV with columns video,task instead of VIDEO... --tasks")
    p.add_argument("--json", help="write the profile JSON here")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.set_defaults(func=cmd_profile)


def add_visit(sub: argparse._SubParsersAction) -> None:
    """The ``visit`` command's options."""
    p = sub.add_parser("visit", help="one visit's clips (views, tasks) scored as one, per leg")
    p.add_argument("visit", help="manifest CSV (video; optional task, view), a folder, or "
                   "the JSON of an earlier `posescore visit --json`")
    p.add_argument("--json", help="write the visit JSON here")
    p.add_argument("--report", help="write an HTML report of the visit here")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.set_defaults(func=cmd_visit)
