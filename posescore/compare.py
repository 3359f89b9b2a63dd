"""Compare two scored sessions (pre/post): per-leg severity change and per-feature change.

Every change is computed from per-stride values (``ScoreResult.strides``) so that it carries a
bootstrap 95 % confidence interval: the strides of each session and leg are resampled with
replacement (all measures of a stride together), the per-leg measures are re-aggregated
exactly as :func:`posescore.features.aggregate_strides` does, and, when a model is given, the
severity of each leg is re-predicted from the resampled features. A change is called
*beyond noise* only where the interval excludes zero AND its magnitude exceeds the minimal
detectable change (MDC95) measured on test-retest phantom pairs (``posescore/data/
mdc95.json``, made by ``bench/mdc_phantom.py``; see its docstring for the method).
A leg's severity change is moreover called beyond noise only when at least one of that leg's
own measures changed beyond noise: the model reads both legs (side asymmetry), so a real
change of one leg moves the other leg's score too, and without this rule an unchanged far
leg in a side view was reported as worse after the near leg improved.

Effect sizes: for a feature, Hedges' g of the per-stride values (post - pre over the pooled
SD, small-sample corrected; Hedges & Olkin 1985); for severity, the change divided by the
test-retest standard error of measurement (SEM = SD(d)/sqrt(2), Weir 2005).

References
----------
Efron B, Tibshirani RJ. An Introduction to the Bootstrap. Chapman & Hall 1993 (percentile
intervals).
Weir JP. Quantifying test-retest reliability using the intraclass correlation coefficient
and the SEM. J Strength Cond Res 2005;19:231-240.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Optional

import numpy as np
from pydantic import ValidationError

from posescore.constants import SCHEMA_VERSION, SIDES
from posescore.contract import COMPARE_SCHEMA, Comparison, Notice, NoticeCode, Score
from posescore.errors import PosescoreError
from posescore.features import FEATURES, PER_WALK_MEASURES, STRIDE_TIME_KEYS, leg_measure_names
from posescore.mdc import class_value, feature_mdc95, load_mdc_table, noise_class, severity_mdc95
from posescore.model_design import leg_rows
from posescore.model_file import LoadedModel
from posescore.numbers import round_or_none
from posescore.plain import change_sentence, feature_label, model_sentence
from posescore.score import model_status

MEDIAN_MEASURES = frozenset({"stride_time_s"})
"""Measures aggregated over strides by the median (as in ``features.aggregate_strides``)."""


# --------------------------------------------------------------------------- per-stride maths


def stride_arrays(result: Mapping[str, Any], side: str) -> dict[str, np.ndarray]:
    """Per-stride arrays of one leg from a score dict (``strides`` key); NaN for None."""
    block = (result.get("strides") or {}).get(side) or {}
    return {
        name: np.array([np.nan if v is None else v for v in values], dtype=float)
        for name, values in block.items()
        if name not in STRIDE_TIME_KEYS
    }


def _aggregate(values: np.ndarray, measure: str, min_strides: int) -> np.ndarray:
    """Aggregate (..., n) per-stride values over the last axis; NaN if < min_strides finite."""
    finite = np.isfinite(values).sum(axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        agg = np.nanmedian(values, axis=-1) if measure in MEDIAN_MEASURES else np.nanmean(
            values, axis=-1
        )
    return np.where(finite >= max(1, min_strides), agg, np.nan)


def features_from_legs(per_side: Mapping[str, Mapping[str, float]], view: str) -> dict[str, Any]:
    """The flat feature dict from per-leg measures, as ``compute_features`` builds it."""
    out: dict[str, Optional[float]] = {}
    for name, spec in FEATURES.items():
        prefix, _, measure = name.partition("_")
        if view not in spec.views:
            value = float("nan")
        elif prefix == "asym":
            value = per_side["left"].get(measure, np.nan) - per_side["right"].get(measure, np.nan)
        else:
            value = per_side[prefix].get(measure, np.nan)
        out[name] = float(value) if np.isfinite(value) else None
    return out


def bootstrap_legs(
    result: Mapping[str, Any], n_boot: int, rng: np.random.Generator, min_strides: int
) -> dict[str, dict[str, np.ndarray]]:
    """Bootstrap distributions of every per-leg measure, ``{side: {measure: (n_boot,)}}``.

    The strides of a leg are resampled with replacement, all measures of a stride together.
    A measure taken over the whole walk (``features.PER_WALK_MEASURES``) keeps its value.
    """
    out: dict[str, dict[str, np.ndarray]] = {}
    for side in SIDES:
        arrays = stride_arrays(result, side)
        n = len(next(iter(arrays.values()))) if arrays else 0
        out[side] = {}
        if n == 0:
            for measure in leg_measure_names():
                out[side][measure] = np.full(n_boot, np.nan)
            continue
        idx = rng.integers(0, n, size=(n_boot, n))
        for measure in leg_measure_names():
            if measure in PER_WALK_MEASURES:
                value = result.get("features", {}).get(f"{side}_{measure}")
                out[side][measure] = np.full(n_boot, np.nan if value is None else value)
                continue
            values = arrays.get(measure, np.full(n, np.nan))
            out[side][measure] = _aggregate(values[idx], measure, min_strides)
    return out


def hedges_g(a: np.ndarray, b: np.ndarray) -> Optional[float]:
    """Hedges' g of b versus a (finite values only); None if undefined."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n1, n2 = a.size, b.size
    if n1 < 2 or n2 < 2:
        return None
    pooled = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2))
    if not pooled > 0:
        return None
    j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
    return float(j * (b.mean() - a.mean()) / pooled)


def _verdict(
    change: Optional[float], ci: Optional[list[float]], mdc: Optional[float]
) -> tuple[bool, str, str]:
    """(beyond_noise, direction, reason) of one change."""
    if change is None:
        return False, "not assessable", "no value in one of the sessions"
    if ci is None:
        return False, "not assessable", "too few strides for a bootstrap interval"
    excludes_zero = ci[0] > 0 or ci[1] < 0
    if mdc is None:
        return False, "no change beyond noise", "no MDC95 measured for this measure"
    if not excludes_zero:
        return False, "no change beyond noise", "95% CI includes zero"
    if abs(change) <= mdc:
        return False, "no change beyond noise", f"|change| <= MDC95 ({mdc:g})"
    return True, "increase" if change > 0 else "decrease", "CI excludes zero and |change| > MDC95"


def _session_info(result: Mapping[str, Any], include_paths: bool) -> dict[str, Any]:
    video = result.get("video", {})
    info = {
        "sha256": video.get("sha256"),
        "duration_s": video.get("duration_s"),
        "task": result.get("task"),
        "view": result.get("view"),
        "scorable": result.get("quality", {}).get("scorable"),
        "n_strides": {
            side: len((result.get("strides") or {}).get(side, {}).get("stride_start_s", []))
            for side in SIDES
        },
    }
    if include_paths:
        info["path"] = video.get("path")
    return info


# --------------------------------------------------------------------------- compare


def validated_score(result: Mapping[str, Any], name: str) -> Score:
    """``result`` as the typed contract; a result of another schema is refused in one line."""
    try:
        return Score.model_validate(result)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise PosescoreError(
            f"the {name} result does not follow score schema {SCHEMA_VERSION} ({where}: "
            f"{err['msg']}); re-score the video with this version of posescore"
        ) from None


def compare_results(
    pre: Mapping[str, Any],
    post: Mapping[str, Any],
    model: Optional[LoadedModel] = None,
    n_boot: int = 2000,
    seed: int = 0,
    min_strides: int = 2,
    mdc_table: Optional[Mapping[str, Any]] = None,
    include_paths: bool = False,
) -> dict[str, Any]:
    """Compare two scores (JSON of :class:`posescore.contract.Score`, refused otherwise).

    Parameters
    ----------
    pre, post : mapping
        ``ScoreResult.to_dict()`` of the two sessions.
    model : LoadedModel, optional
        Severity model used to re-predict severity on bootstrap resamples; without it the
        severity change has no interval and is never called beyond noise.
    n_boot : int
        Bootstrap resamples per session (features; severity uses ``min(n_boot, 500)``).
    seed : int
        Seed of the bootstrap (results are reproducible).
    min_strides : int
        Fewest finite strides for a measure (``settings.quality.min_strides_per_measure``).
    mdc_table : mapping, optional
        Test-retest table; the packaged one by default.
    include_paths : bool
        Put the video paths in the output (off by default: pseudonymity).

    Returns
    -------
    dict
        The JSON of :class:`posescore.contract.Comparison`: ``pre``/``post`` session info,
        ``legs`` (severity change per leg), ``features`` (per-feature changes),
        ``bootstrap``, ``mdc`` and ``warnings`` (notices).
    """
    if not (pre.get("strides") and post.get("strides")):
        raise PosescoreError(
            "both results need per-stride values (the 'strides' key); re-score the videos "
            "with this version of posescore"
        )
    for name, res in (("pre", pre), ("post", post)):
        validated_score(res, name)
    table = mdc_table if mdc_table is not None else load_mdc_table()
    rng = np.random.default_rng(seed)
    boot = {
        "pre": bootstrap_legs(pre, n_boot, rng, min_strides),
        "post": bootstrap_legs(post, n_boot, rng, min_strides),
    }
    warn: list[Notice] = []

    def note(code: NoticeCode, message: str) -> None:
        warn.append(Notice(code=code, stage="compare", message=message))

    if pre.get("view") != post.get("view"):
        note(NoticeCode.VIEWS_DIFFER,
             f"camera views differ (pre {pre.get('view')}, post {post.get('view')}): "
             "view-dependent measures are not comparable")
    if pre.get("task") != post.get("task"):
        note(NoticeCode.TASKS_DIFFER,
             f"tasks differ (pre {pre.get('task')}, post {post.get('task')})")
    for name, res in (("pre", pre), ("post", post)):
        if not res.get("quality", {}).get("scorable", False):
            note(NoticeCode.SESSION_NOT_SCORABLE,
                 f"the {name} video is not scorable: its severity is not assessable")
        for side in SIDES:
            check = (res.get("legs", {}).get(side) or {}).get("abnormality") or {}
            if check.get("agreement") == "disagree":
                note(NoticeCode.SESSION_DISAGREEMENT,
                     f"the {name} video, {side} leg: the model's severity and the leg's own "
                     f"measures disagree ({', '.join(check.get('findings', []))}); its interval "
                     "was widened")
        used = res.get("model", {}).get("sha256")
        if model is not None and used and used != model.card.get("sha256"):
            note(NoticeCode.OTHER_MODEL,
                 f"the {name} result was scored with another model; its severity is "
                 f"re-predicted with {model.card.get('name')}")

    same_view = pre.get("view") == post.get("view")
    features_out = []
    for side in SIDES:
        cls = noise_class(post.get("view"), side) if same_view else None
        a_all, b_all = stride_arrays(pre, side), stride_arrays(post, side)
        for measure in leg_measure_names():
            name = f"{side}_{measure}"
            spec = FEATURES[name]
            a = a_all.get(measure, np.empty(0))
            b = b_all.get(measure, np.empty(0))
            pre_v = _aggregate(a, measure, min_strides) if a.size else np.nan
            post_v = _aggregate(b, measure, min_strides) if b.size else np.nan
            change = float(post_v - pre_v) if np.isfinite(pre_v) and np.isfinite(post_v) else None
            diffs = boot["post"][side][measure] - boot["pre"][side][measure]
            diffs = diffs[np.isfinite(diffs)]
            ci = (
                [round(float(np.percentile(diffs, 2.5)), 4),
                 round(float(np.percentile(diffs, 97.5)), 4)]
                if change is not None and diffs.size >= 0.9 * n_boot
                else None
            )
            mdc = feature_mdc95(measure, table, cls)
            beyond, direction, reason = _verdict(change, ci, mdc)
            features_out.append(
                {
                    "name": name,
                    "side": side,
                    "measure": measure,
                    "unit": spec.unit,
                    "pre": round_or_none(pre_v),
                    "post": round_or_none(post_v),
                    "change": round_or_none(change),
                    "ci95": ci,
                    "effect_size_g": round_or_none(hedges_g(a, b), 3),
                    "mdc95": mdc,
                    "n_strides_pre": int(np.isfinite(a).sum()),
                    "n_strides_post": int(np.isfinite(b).sum()),
                    "beyond_noise": beyond,
                    "direction": direction,
                    "reason": reason,
                }
            )

    n_tested = sum(r["ci95"] is not None and r["mdc95"] is not None for r in features_out)
    if n_tested:
        note(NoticeCode.MULTIPLE_TESTING,
             f"{n_tested} feature changes were tested; at the 95% level about "
             f"{max(1, round(0.05 * n_tested))} may be flagged beyond noise by chance alone")
    legs = _severity_changes(pre, post, model, boot, table, min(n_boot, 500))
    sev_mdc = legs.pop("_mdc", {})
    for side in SIDES:
        legs[side] = require_own_evidence(legs[side], [r for r in features_out
                                                       if r["side"] == side])
    model_out = dict(post.get("model", {})) if model is None else {
        "name": model.card.get("name"),
        "sha256": model.card.get("sha256"),
        "trained_on": model.card.get("trained_on"),
        "clinically_validated": bool(model.card.get("clinically_validated", False)),
    }
    summary = [change_sentence(side, leg["pre"], leg["post"], leg["mdc95"], leg["beyond_noise"],
                               leg["reason"]) for side, leg in legs.items()]
    return Comparison.model_validate({
        "schema": COMPARE_SCHEMA,
        "summary": [*summary, model_sentence(model_out)],
        "pre": _session_info(pre, include_paths),
        "post": _session_info(post, include_paths),
        "affected_side": {"pre": pre.get("affected_side"), "post": post.get("affected_side")},
        "legs": legs,
        "features": features_out,
        "model": model_out,
        "bootstrap": {
            "n_resamples": n_boot,
            "n_resamples_severity": min(n_boot, 500) if model is not None else 0,
            "seed": seed,
            "method": "percentile interval; strides of each session and leg resampled with "
            "replacement, all measures of a stride together",
        },
        "mdc": {
            "source": "posescore/data/mdc95.json",
            "method": table.get("method"),
            "n_pairs": table.get("n_pairs"),
            "clip": table.get("clip"),
            "severity": sev_mdc,
        },
        "warnings": warn,
    }).to_json()


OWN_EVIDENCE_REASON = (
    "the score changed beyond noise but none of this leg's own measures did: the change "
    "follows the other leg (the model reads both legs)"
)


def require_own_evidence(
    leg: Mapping[str, Any], own_features: list[Mapping[str, Any]]
) -> dict[str, Any]:
    """A leg's severity verdict, kept beyond noise only if one of its own measures is too.

    Parameters
    ----------
    leg : mapping
        One leg's severity change (``beyond_noise``, ``direction``, ``reason``, ...).
    own_features : list of mapping
        The per-feature changes of the same leg (each with ``beyond_noise``).

    Returns
    -------
    dict
        A copy of ``leg``; ``beyond_noise`` false with ``OWN_EVIDENCE_REASON`` where no own
        measure changed beyond noise.
    """
    out = dict(leg)
    if out.get("beyond_noise") and not any(f.get("beyond_noise") for f in own_features):
        out.update(beyond_noise=False, direction="no change beyond noise",
                   reason=OWN_EVIDENCE_REASON)
    return out


def _severity_changes(
    pre: Mapping[str, Any],
    post: Mapping[str, Any],
    model: Optional[LoadedModel],
    boot: dict[str, dict[str, dict[str, np.ndarray]]],
    table: Mapping[str, Any],
    n_sev: int,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sev: dict[str, dict[str, Optional[float]]] = {}
    dist: dict[str, np.ndarray] = {}
    sev_mdc: dict[str, Any] = {"mdc95": None, "sem": None, "n_diffs": 0}
    for name, res in (("pre", pre), ("post", post)):
        legs = res.get("legs", {})
        sev[name] = {side: (legs.get(side) or {}).get("severity") for side in SIDES}
    if model is not None:
        sev_mdc = severity_mdc95(model, table)
        for name, res in (("pre", pre), ("post", post)):
            if not res.get("quality", {}).get("scorable", False):
                continue
            view = res.get("view", "")
            point = model.estimator.predict(leg_rows(res["features"], view, model.measures))
            sev[name] = {side: float(point[i]) for i, side in enumerate(SIDES)}
            rows = []
            for k in range(n_sev):
                per_side = {
                    side: {m: float(v[k]) for m, v in boot[name][side].items()} for side in SIDES
                }
                rows.append(leg_rows(features_from_legs(per_side, view), view, model.measures))
            pred = np.asarray(model.estimator.predict(np.vstack(rows)), dtype=float)
            dist[name] = pred.reshape(n_sev, 2)
    same_view = pre.get("view") == post.get("view")
    for i, side in enumerate(SIDES):
        cls = noise_class(post.get("view"), side) if same_view else None
        mdc, sem = class_value(sev_mdc, cls, "mdc95"), class_value(sev_mdc, cls, "sem")
        a, b = sev["pre"][side], sev["post"][side]
        change = None if a is None or b is None else float(b - a)
        ci = None
        if change is not None and "pre" in dist and "post" in dist:
            d = dist["post"][:, i] - dist["pre"][:, i]
            ci = [round(float(np.percentile(d, 2.5)), 3), round(float(np.percentile(d, 97.5)), 3)]
        beyond, direction, reason = _verdict(change, ci, mdc)
        if model is None and change is not None:
            reason = "no model given: severity change has no interval"
        out[side] = {
            "pre": round_or_none(a, 3),
            "post": round_or_none(b, 3),
            "change": round_or_none(change, 3),
            "ci95": ci,
            "effect_size_sem": (
                round_or_none(change / sem, 2) if change is not None and sem else None
            ),
            "mdc95": mdc,
            "mdc_class": cls,
            "beyond_noise": beyond,
            "direction": direction,
            "reason": reason,
        }
    out["_mdc"] = sev_mdc
    return out


def compare_text(comparison: Mapping[str, Any], only_beyond_noise: bool = False) -> str:
    """Readable summary of :func:`compare_results`: plain sentences first, then the tables."""
    lines = [
        *comparison.get("summary", []),
        "",
        f"pre  {comparison['pre']['task']} / {comparison['pre']['view']}  "
        f"strides L={comparison['pre']['n_strides']['left']} "
        f"R={comparison['pre']['n_strides']['right']}",
        f"post {comparison['post']['task']} / {comparison['post']['view']}  "
        f"strides L={comparison['post']['n_strides']['left']} "
        f"R={comparison['post']['n_strides']['right']}",
        "",
        "severity (0-4)   pre    post   change  95% CI            MDC95  verdict",
    ]

    def f(x: Optional[float], d: int = 2) -> str:
        return "-" if x is None else f"{x:+.{d}f}" if d < 0 else f"{x:.{d}f}"

    for side in SIDES:
        leg = comparison["legs"][side]
        ci = f"[{leg['ci95'][0]:+.2f}, {leg['ci95'][1]:+.2f}]" if leg["ci95"] else "-"
        lines.append(
            f"{side:<5} leg        {f(leg['pre']):>5}  {f(leg['post']):>5}  "
            f"{'-' if leg['change'] is None else format(leg['change'], '+.2f'):>6}  {ci:<16}  "
            f"{f(leg['mdc95']):>5}  {leg['direction']}"
        )
    lines += ["", f"{'measure':<68} {'change':>9} {'95% CI':>22}  {'MDC95':>7}  g      verdict"]
    for row in comparison["features"]:
        if row["change"] is None or (only_beyond_noise and not row["beyond_noise"]):
            continue
        ci = f"[{row['ci95'][0]:+.3g}, {row['ci95'][1]:+.3g}]" if row["ci95"] else "-"
        g = "-" if row["effect_size_g"] is None else f"{row['effect_size_g']:+.2f}"
        mdc = "-" if row["mdc95"] is None else f"{row['mdc95']:.3g}"
        lines.append(
            f"{feature_label(row['name'], row['unit']):<68} {row['change']:>+9.3g} {ci:>22}  "
            f"{mdc:>7}  {g:<6} {row['direction']}"
        )
    for w in comparison["warnings"]:
        lines.append(f"warning  {w['message']}")
    lines.append(f"model    {model_status(comparison['model'])}")
    return "\n".join(lines)
