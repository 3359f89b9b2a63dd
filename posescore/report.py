"""Self-contained HTML reports a clinician reads: one file, plots embedded as base64 PNGs.

``score_report(result, traces)`` for one video, ``compare_report(comparison, pre, post)`` for a
pre/post pair and ``course_report(course)`` for a treatment course. Plots use matplotlib's
object API (``Figure`` + Agg canvas, no pyplot state). File paths are left out unless
``include_paths`` is set (pseudonymity); every report states the model's validation status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

import numpy as np
from matplotlib.figure import Figure

from posescore.constants import SIDES
from posescore.contract import Score
from posescore.contract.score import KneeThreshold, Phenomenology, PhenomenologyMeasure
from posescore.features import (
    FEATURES,
    STRIDE_TIME_KEYS,
    ankle_plantarflexion_deg,
    knee_flexion_deg,
)
from posescore.htmlpage import (
    SIDE_COLOURS,
    esc,
    figure_png,
    img,
    model_notice,
    notice_html,
    num,
    page,
    summary_html,
    table,
    trends_table_html,
)
from posescore.plain import feature_label

KEY_MEASURES = (
    "ankle_plantarflexion_hs_deg",
    "foot_floor_angle_hs_deg",
    "toe_height_swing_leglen",
    "knee_flexion_range_deg",
    "stride_time_s",
    "foot_inversion_deg",
)
"""Per-stride measures plotted stride by stride (those with values in the video's view)."""

# --------------------------------------------------------------------------- plots


def severity_figure(legs: Mapping[str, Mapping[str, Any]], title: str = "") -> Optional[str]:
    """Severity per leg (0-4) with its interval."""
    if not any(legs[s].get("severity") is not None for s in SIDES):
        return None
    fig = Figure(figsize=(6.5, 1.9))
    ax = fig.subplots()
    for i, side in enumerate(SIDES):
        leg = legs[side]
        if leg.get("severity") is None:
            continue
        lo, hi = leg.get("severity_interval") or (leg["severity"], leg["severity"])
        ax.plot([lo, hi], [i, i], color=SIDE_COLOURS[side], lw=6, alpha=0.35)
        ax.plot(leg["severity"], i, "o", color=SIDE_COLOURS[side], ms=10)
        ax.annotate(f"{leg['severity']:.2f}", (leg["severity"], i), xytext=(0, 9),
                    textcoords="offset points", ha="center", fontsize=9)
    ax.set_yticks([0, 1], [f"{s} leg" for s in SIDES])
    ax.set_xlim(-0.1, 4.1)
    ax.set_ylim(-0.7, 1.8)
    ax.set_xlabel("severity (0 none - 4 severe); bar = interval")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return figure_png(fig)


def angle_traces_figure(traces: Any) -> Optional[str]:
    """Knee flexion and ankle plantarflexion per leg over time, heel strikes and toe offs marked.

    ``traces`` is a :class:`posescore.score.ScoreTraces`.
    """
    traj, events = traces.traj, traces.events
    t = np.asarray(traj.timestamps_s, dtype=float)
    if t.size < 2:
        return None
    fig = Figure(figsize=(10, 4.6))
    axes = fig.subplots(2, 1, sharex=True)
    direction = traj.direction
    for side in SIDES:
        p = {j: traj.point(side, j) for j in ("hip", "knee", "ankle", "heel", "toe")}
        knee = knee_flexion_deg(p["hip"], p["knee"], p["ankle"], direction)
        ankle = ankle_plantarflexion_deg(p["knee"], p["ankle"], p["heel"], p["toe"])
        colour = SIDE_COLOURS[side]
        for ax, series in zip(axes, (knee, ankle)):
            ax.plot(t, series, color=colour, lw=1.3, label=f"{side}")
            ev = events.get(side)
            if ev is None:
                continue
            for k, i in enumerate(np.asarray(ev.heel_strike_idx, dtype=int)):
                ax.axvline(t[i], color=colour, lw=0.8, alpha=0.6,
                           label=f"{side} heel strike" if k == 0 and ax is axes[0] else None)
            for k, i in enumerate(np.asarray(ev.toe_off_idx, dtype=int)):
                ax.axvline(t[i], color=colour, lw=0.8, ls=":", alpha=0.7,
                           label=f"{side} toe off" if k == 0 and ax is axes[0] else None)
    axes[0].set_ylabel("knee flexion (deg)")
    axes[1].set_ylabel("ankle plantarflexion (deg)")
    axes[1].set_xlabel("time (s)")
    axes[0].legend(fontsize=7, ncol=3, loc="upper right")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].set_title("joint angles; solid lines = heel strikes, dotted = toe offs", fontsize=10)
    return figure_png(fig)


def _measures_with_values(strides_by_result: Sequence[Mapping[str, Any]]) -> list[str]:
    found = []
    for m in KEY_MEASURES:
        for res in strides_by_result:
            blk = res.get("strides") or {}
            if any(v is not None for s in SIDES for v in (blk.get(s) or {}).get(m, [])):
                found.append(m)
                break
    return found


def _panel_grid(n: int, panel_height_in: float) -> tuple[Figure, np.ndarray]:
    """A figure with ``n`` panels in rows of at most three, and the flat array of axes."""
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(3.6 * cols, panel_height_in * rows))
    return fig, np.atleast_1d(fig.subplots(rows, cols)).ravel()


def stride_figure(result: Mapping[str, Any]) -> Optional[str]:
    """Stride-by-stride values of the key measures, per leg, against stride start time."""
    measures = _measures_with_values([result])
    if not measures:
        return None
    fig, axes = _panel_grid(len(measures), panel_height_in=2.6)
    n = len(measures)
    blk = result["strides"]
    for ax, m in zip(axes, measures):
        for side in SIDES:
            s = blk.get(side) or {}
            x = np.array(s.get(STRIDE_TIME_KEYS[0], []), dtype=float)
            y = np.array([np.nan if v is None else v for v in s.get(m, [])], dtype=float)
            if x.size and y.size == x.size:
                ax.plot(x, y, "o-", color=SIDE_COLOURS[side], ms=4, lw=1, label=side)
        ax.set_title(f"{m} ({FEATURES['left_' + m].unit})", fontsize=8)
        ax.set_xlabel("stride start (s)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return figure_png(fig)


def prepost_figure(pre: Mapping[str, Any], post: Mapping[str, Any]) -> Optional[str]:
    """Per-stride values pre versus post for each key measure and leg (box + points)."""
    measures = _measures_with_values([pre, post])
    if not measures:
        return None
    fig, axes = _panel_grid(len(measures), panel_height_in=2.8)
    n = len(measures)
    rng = np.random.default_rng(0)
    for ax, m in zip(axes, measures):
        pos = 0
        ticks, labels = [], []
        for side in SIDES:
            for label, res in (("pre", pre), ("post", post)):
                vals = [v for v in ((res.get("strides") or {}).get(side) or {}).get(m, [])
                        if v is not None]
                if vals:
                    ax.boxplot([vals], positions=[pos], widths=0.6, showfliers=False)
                    ax.plot(pos + rng.uniform(-0.15, 0.15, len(vals)), vals, "o",
                            color=SIDE_COLOURS[side], ms=3, alpha=0.7)
                ticks.append(pos)
                labels.append(f"{side[0].upper()} {label}")
                pos += 1
            pos += 0.5
        ax.set_xticks(ticks, labels, fontsize=7)
        ax.set_title(f"{m} ({FEATURES['left_' + m].unit})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return figure_png(fig)


def severity_change_figure(comparison: Mapping[str, Any]) -> Optional[str]:
    """Severity pre and post per leg, and the change with its bootstrap 95 % CI."""
    legs = comparison["legs"]
    if not any(legs[s]["pre"] is not None for s in SIDES):
        return None
    fig = Figure(figsize=(9, 2.6))
    ax1, ax2 = fig.subplots(1, 2)
    for i, side in enumerate(SIDES):
        leg, colour = legs[side], SIDE_COLOURS[side]
        if leg["pre"] is not None and leg["post"] is not None:
            ax1.plot([0, 1], [leg["pre"], leg["post"]], "o-", color=colour, label=f"{side} leg")
        if leg["change"] is not None:
            lo, hi = leg["ci95"] or (leg["change"], leg["change"])
            ax2.errorbar(leg["change"], i, xerr=[[leg["change"] - lo], [hi - leg["change"]]],
                         fmt="o", color=colour, capsize=4)
            if leg["mdc95"]:
                ax2.fill_betweenx([i - 0.3, i + 0.3], -leg["mdc95"], leg["mdc95"],
                                  color="grey", alpha=0.2, lw=0)
    ax1.set_xticks([0, 1], ["pre", "post"])
    ax1.set_ylim(-0.1, 4.1)
    ax1.set_ylabel("severity (0-4)")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.axvline(0, color="k", lw=0.8)
    ax2.set_yticks([0, 1], [f"{s} leg" for s in SIDES])
    ax2.set_ylim(-0.7, 1.7)
    ax2.set_xlabel("change (post - pre); grey band = +/- MDC95")
    ax2.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return figure_png(fig)


# --------------------------------------------------------------------------- sections


def _meta_section(score: Score, include_paths: bool, label: str = "") -> str:
    v, q, g = score.video, score.quality, score.gait
    name = esc(v.path) if include_paths else "<i>withheld (pseudonymity)</i>"
    rows = [
        ("video", name),
        ("content SHA-256", f"<code>{esc(v.sha256[:16])}&hellip;</code>"),
        ("duration", f"{num(v.duration_s, 1)} s, {v.frame_count} frames at {num(v.fps, 1)} fps"),
        ("frame size", f"{v.width} x {v.height} px"),
        ("task / view", f"{esc(score.task)} / {esc(score.view)}"),
        ("scorable", f"<span class='{'yes' if q.scorable else 'warn'}'>"
                     f"{'yes' if q.scorable else 'no'}</span>"),
        ("body found in", f"{100 * q.pose_detected_fraction:.0f}% of frames"),
        ("both legs visible in",
         f"{100 * q.legs_visible_fraction:.0f}% of the frames with a body"),
        ("gait", f"cadence {num(g.cadence_steps_per_min, 1)} steps/min, "
                 f"stride {num(g.stride_time_s)} s (CV {num(g.stride_time_cv)}), "
                 f"{g.step_count} steps"),
    ]
    warnings = "".join(notice_html(w.model_dump(mode="json"), "li") for w in q.warnings)
    body = table(["", label or "value"], rows)
    return body + (f"<ul>{warnings}</ul>" if warnings else "")


def _severity_table(score: Score) -> str:
    rows = []
    for side in SIDES:
        leg = getattr(score.legs, side)
        iv, probs = leg.severity_interval, leg.probabilities
        rows.append((
            f"{side}",
            num(leg.severity),
            f"[{iv[0]:.2f}, {iv[1]:.2f}]" if iv else "&ndash;",
            esc(leg.severity_class),
            " ".join(f"{p:.2f}" for p in probs) if probs else "&ndash;",
        ))
    return table(["leg", "severity (0-4)", "interval", "class", "P(class 0..4)"], rows) + (
        f"<p>Affected side: <b>{esc(score.affected_side)}</b></p>"
    )


def _threshold_text(th: float | KneeThreshold) -> str:
    if isinstance(th, KneeThreshold):
        return "<br>".join(f"{esc(k)} {num(v, 3)}" for k, v in th.model_dump().items())
    return num(th, 3)


def measure_text(m: PhenomenologyMeasure) -> str:
    """Value, present/absent flag, pattern kind and, when unmeasurable, why."""
    text = num(m.value)
    if m.present is not None:
        text += (f" <span class='{'inc' if m.present else 'no'}'>"
                 f"{'present' if m.present else 'absent'}</span>")
    if m.kind:
        text += f" <span class='small'>({esc(m.kind)})</span>"
    if m.value is None and m.reason:
        text += f"<br><span class='small'>{esc(m.reason)}</span>"
    return text


def _phenomenology_table(score: Score) -> str:
    """One row per phenomenology measure: value, present/absent flag and detail per leg."""
    rows = []
    for name in Phenomenology.model_fields:
        left, right = (getattr(getattr(score.legs, side).phenomenology, name) for side in SIDES)
        rows.append([esc(feature_label(name, left.unit)), esc(left.unit),
                     _threshold_text(left.threshold), measure_text(left), measure_text(right)])
    return table(["measure", "unit", "threshold", "left leg", "right leg"], rows)


def _change_table(comparison: Mapping[str, Any]) -> str:
    rows = []
    for side in SIDES:
        leg = comparison["legs"][side]
        rows.append(_change_row(f"<b>severity, {side} leg</b>", "0-4", leg,
                                leg.get("effect_size_sem"), "change/SEM"))
    for row in comparison["features"]:
        if row["pre"] is None and row["post"] is None:
            continue
        rows.append(_change_row(esc(feature_label(row["name"], row["unit"])), esc(row["unit"]),
                                row, row["effect_size_g"], "g"))
    return table(
        ["measure", "unit", "pre", "post", "change", "95% CI", "effect size", "MDC95",
         "verdict"],
        rows,
    )


def _change_row(label: str, unit: str, row: Mapping[str, Any], es: Any, es_kind: str) -> list:
    ci = row.get("ci95")
    verdict = row["direction"]
    cls = "chg" if row["beyond_noise"] else "no"  # no colour for better/worse: not ours
    return [
        label, unit, num(row["pre"]), num(row["post"]),
        "&ndash;" if row["change"] is None else f"{row['change']:+.3g}",
        f"[{ci[0]:+.3g}, {ci[1]:+.3g}]" if ci else "&ndash;",
        "&ndash;" if es is None else f"{es:+.2f} ({es_kind})",
        num(row.get("mdc95"), 3),
        f"<span class='{cls}' title='{esc(row.get('reason'))}'>{esc(verdict)}</span>",
    ]


# --------------------------------------------------------------------------- reports



def score_report(
    result: Mapping[str, Any], traces: Any = None, include_paths: bool = False
) -> str:
    """HTML report of one scored video (``ScoreResult.to_dict()`` and its ``traces``)."""
    score = Score.model_validate(result)
    parts = [model_notice(result["model"])]
    parts.append("<h2>Video and quality</h2>" + _meta_section(score, include_paths))
    parts.append("<h2>Severity per leg</h2>" + _severity_table(score))
    uri = severity_figure(result["legs"])
    if uri:
        parts.append(img(uri, "severity per leg"))
    parts.append("<h2>Phenomenology</h2>" + _phenomenology_table(score))
    parts.append("<h2>Joint angles and gait events</h2>")
    uri = angle_traces_figure(traces) if traces is not None else None
    parts.append(img(uri, "joint angle traces") if uri else
                 "<p class='small'>Not available: this report was made from a saved result "
                 "without its trajectories.</p>")
    parts.append("<h2>Stride by stride</h2>")
    uri = stride_figure(result)
    parts.append(img(uri, "stride by stride") if uri else "<p>No strides detected.</p>")
    return page("posescore report", "".join(parts))


def compare_report(
    comparison: Mapping[str, Any],
    pre: Mapping[str, Any],
    post: Mapping[str, Any],
    pre_traces: Any = None,
    post_traces: Any = None,
    include_paths: bool = False,
) -> str:
    """HTML report of a pre/post comparison (``compare.compare_results``) and both sessions."""
    parts = [summary_html(comparison.get("summary", [])),
             model_notice(comparison.get("model") or post.get("model", {}))]
    parts.append("<h2>Change pre &rarr; post</h2>")
    parts.append(
        "<p class='small'>Changes from per-stride values; 95% CI by bootstrap "
        f"({comparison['bootstrap']['n_resamples']} resamples, seed "
        f"{comparison['bootstrap']['seed']}). A change is <i>beyond noise</i> only when its CI "
        "excludes zero and it exceeds the MDC95 measured on "
        f"{esc(comparison['mdc'].get('n_pairs'))} test-retest phantom pairs.</p>"
    )
    parts += [notice_html(w, "p") for w in comparison.get("warnings", [])]
    uri = severity_change_figure(comparison)
    if uri:
        parts.append(img(uri, "severity change"))
    parts.append(_change_table(comparison))
    parts.append("<h2>Per-stride values, pre versus post</h2>")
    uri = prepost_figure(pre, post)
    parts.append(img(uri, "pre versus post") if uri else "<p>No strides.</p>")
    for label, res, tr in (("Pre", pre, pre_traces), ("Post", post, post_traces)):
        score = Score.model_validate(res)
        parts.append(f"<h2>{label} session</h2>" + _meta_section(score, include_paths, label))
        parts.append(_severity_table(score))
        parts.append("<h3>Phenomenology</h3>" + _phenomenology_table(score))
        uri = angle_traces_figure(tr) if tr is not None else None
        if uri:
            parts.append(img(uri, f"{label} joint angles"))
        uri = stride_figure(res)
        if uri:
            parts.append(img(uri, f"{label} stride by stride"))
    return page("posescore pre/post comparison", "".join(parts))


def course_report(course: Mapping[str, Any], plot_uri: Optional[str]) -> str:
    """HTML report of a treatment course (``posescore.course.run_course`` output)."""
    parts = [summary_html(course.get("summary", [])), model_notice(course["model"] or {})]
    if plot_uri:
        parts.append(img(plot_uri, "course"))
    parts.append("<h2>Trends</h2>" + trends_table_html(course["trends"]))
    parts.append("<h2>Sessions</h2>")
    cols = ["patient_id", "session", "date", "phase", "task", "left_severity",
            "right_severity", "error"]
    parts.append(table(cols, [[num(r.get(c)) if isinstance(r.get(c), float) else
                                esc(r.get(c)) for c in cols] for r in course["sessions"]]))
    return page("posescore treatment course", "".join(parts))
