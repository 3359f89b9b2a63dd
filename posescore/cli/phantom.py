"""``posescore phantom``: synthetic walking videos with ground truth, or a labelled set."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from posescore.errors import PosescoreError


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


def add_phantom(sub: argparse._SubParsersAction) -> None:
    """The ``phantom`` command's options."""
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
