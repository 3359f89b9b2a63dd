"""Model commands: ``train``, ``evaluate``, ``normative``, ``train-phantom``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from posescore.cli.common import settings_from, write_json
from posescore.errors import PosescoreError


def cmd_train(args: argparse.Namespace) -> int:
    """Train a model from a clinic's ratings CSV."""
    from posescore.labelled import read_ratings
    from posescore.training import train_model

    videos = read_ratings(args.ratings)
    card = train_model(videos, Path(args.out), settings_from(args), workers=args.workers)
    print(json.dumps({"family_comparison": card["family_comparison"],
                      "cv_metrics": card["cv_metrics"]}, indent=2))
    print(f"model written to {Path(args.out).with_suffix('.skops')}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a model on a labelled folder (ratings.csv or phantom truth sidecars)."""
    from posescore.labelled import labelled_folder
    from posescore.model_file import load_model
    from posescore.training import evaluate_model, hold_out_group_figures

    settings = settings_from(args)
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
        write_json(Path(args.json), result)
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


def cmd_normative(args: argparse.Namespace) -> int:
    """Build a normative reference of healthy walking from a labelled folder's healthy walks."""
    from posescore.features import leg_measure_names
    from posescore.labelled import featurise, labelled_folder, scorable_only
    from posescore.normative import fit_reference

    videos = [v for v in labelled_folder(args.folder) if not any(v.severity.values())]
    if not videos:
        raise PosescoreError(f"{args.folder} holds no walk with both legs rated 0")
    data = scorable_only(featurise(videos, settings_from(args), args.workers), "healthy")
    reference = fit_reference([(d.features, d.view) for d in data], leg_measure_names(),
                              source=args.source or f"{len(data)} healthy walks")
    write_json(Path(args.out), reference.to_dict())
    print(f"normative reference of {sum(reference.n_legs.values())} healthy legs "
          f"({', '.join(f'{k} {v}' for k, v in reference.n_legs.items())}) -> {args.out}")
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
        settings=settings_from(args),
        workers=args.workers,
    )
    print(json.dumps({"family_comparison": card["family_comparison"],
                      "cv_metrics": card["cv_metrics"]}, indent=2))
    print(f"model written to {args.out} (card: {Path(args.out).with_suffix('.card.json')})")
    return 0


def add_train(sub: argparse._SubParsersAction) -> None:
    """The ``train`` command's options."""
    p = sub.add_parser("train", help="train a model from a ratings CSV")
    p.add_argument(
        "ratings", help="CSV: video, subject_id, left_severity, right_severity[, task, rater]"
    )
    p.add_argument("--out", required=True, help="model path, e.g. models/clinic.skops")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_train)


def add_evaluate(sub: argparse._SubParsersAction) -> None:
    """The ``evaluate`` command's options."""
    p = sub.add_parser("evaluate", help="evaluate a model on a labelled folder")
    p.add_argument("folder", help="folder with ratings.csv, or phantom videos + *.truth.json")
    p.add_argument("--model", help="model file (.skops) instead of the default")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--json", help="write the metrics here")
    p.add_argument("--hold-out-family", action="store_true",
                   help="refit the model's recipe with each group (a phantom set's expression "
                        "family, a clinic's site) held out in turn and print its figures")
    p.set_defaults(func=cmd_evaluate)


def add_normative(sub: argparse._SubParsersAction) -> None:
    """The ``normative`` command's options."""
    p = sub.add_parser("normative", help="build a normative reference from healthy walks")
    p.add_argument("folder", help="labelled folder; its walks with both legs rated 0 are used")
    p.add_argument("--out", required=True, help="reference JSON to write")
    p.add_argument("--source", help="what the healthy walkers are (stored in the reference)")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_normative)


def add_train_phantom(sub: argparse._SubParsersAction) -> None:
    """The ``train-phantom`` command's options."""
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
