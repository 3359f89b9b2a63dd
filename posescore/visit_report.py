"""HTML reports of one visit, of visits compared and of a course of visits (``visit_change``).

``visit_report(visit, label)`` for ``posescore visit --report``,
``visit_compare_report(comparison, pre, post)`` for ``posescore compare VISIT VISIT --report``
and ``visit_course_report(course)`` for the ``course.html`` of a course of visits. All open
with the plain-language summary (``plain``) and the model's validation statement, then give
per leg the fused severities with their 90 % intervals and the change against its MDC95;
the comparison goes on with the clips that contributed (view, weight) and the measures each
view could see, grouped by leg, under their plain names with units. Page parts come from
``htmlpage``; plots use matplotlib's object API as ``report`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from posescore.constants import SIDES
from posescore.contract.visit import Visit
from posescore.contract.visit_change import VisitComparison, VisitCourse, VisitLegChange
from posescore.htmlpage import (
    SIDE_COLOURS,
    esc,
    figure_png,
    img,
    model_notice,
    num,
    page,
    summary_html,
    table,
    trends_table_html,
)
from posescore.phenomenology import PHENOMENOLOGY
from posescore.plain import feature_label
from posescore.report import measure_text

MAX_PATIENTS_PLOTTED = 8
"""Patients drawn in a course figure (the tables list them all)."""
CHANGE_HEADERS = ["pre (90 % interval)", "post (90 % interval)", "change", "MDC95", "verdict"]
PHASE_FILL = {"pre": "none", "post": None}
"""Marker face per phase: pre open, post filled (None = the leg's colour)."""


def severity_cell(value: Optional[float], interval: Optional[Sequence[float]]) -> str:
    """A fused severity with its interval, e.g. ``2.40 [1.80, 3.00]``; a dash when not judged."""
    if value is None:
        return "&ndash; <span class='small'>not judged</span>"
    span = f" <span class='small'>[{interval[0]:.2f}, {interval[1]:.2f}]</span>" if interval \
        else ""
    return f"{num(value)}{span}"


def leg_change_cells(leg: VisitLegChange) -> list[str]:
    """The cells of ``CHANGE_HEADERS`` for one leg's change between two visits."""
    cls = "chg" if leg.beyond_noise else "no"
    return [severity_cell(leg.pre, leg.pre_interval), severity_cell(leg.post, leg.post_interval),
            "&ndash;" if leg.change is None else f"{leg.change:+.2f}", num(leg.mdc95),
            f"<span class='{cls}' title='{esc(leg.reason)}'>{esc(leg.direction)}</span>"]


def _model_notice(model: Any) -> str:
    return model_notice(model.model_dump() if model else {})


# --------------------------------------------------------------------------- plots


def _interval_point(ax: Axes, at: float, value: float, interval: Optional[Sequence[float]],
                    side: str, phase: str, horizontal: bool) -> None:
    """One fused severity as a marker with its interval bar (pre open, post filled)."""
    lo, hi = interval or (value, value)
    bar = [[value - lo], [hi - value]]
    colour = SIDE_COLOURS[side]
    xy = (value, at) if horizontal else (at, value)
    ax.errorbar(*xy, **{"xerr" if horizontal else "yerr": bar}, fmt="o", capsize=3,
                color=colour, mec=colour, mfc=PHASE_FILL[phase] or colour, ms=7,
                label=f"{side} {phase}")


def visit_change_figure(comparison: VisitComparison) -> Optional[str]:
    """Each leg's fused severity in both visits with its 90 % interval, 0-4."""
    legs = comparison.legs
    if all(legs[s].pre is None and legs[s].post is None for s in SIDES):
        return None
    fig = Figure(figsize=(6.5, 2.2))
    ax = fig.subplots()
    for i, side in enumerate(SIDES):
        for phase, value, interval, dy in (("pre", legs[side].pre, legs[side].pre_interval, 0.15),
                                           ("post", legs[side].post, legs[side].post_interval,
                                            -0.15)):
            if value is not None:
                _interval_point(ax, i + dy, value, interval, side, phase, horizontal=True)
    ax.set_yticks([0, 1], [f"{s} leg" for s in SIDES])
    ax.set_xlim(-0.1, 4.1)
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel("fused severity (0 none - 4 severe); bar = 90 % interval")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.3))
    return figure_png(fig)


def visit_course_figure(course: VisitCourse) -> Optional[str]:
    """Per patient and leg: severity per visit with intervals and trends; post - pre per session.

    Top row: the fused severity of each visit (pre open, post filled) with its 90 % interval
    and each phase's OLS trend (pre dashed, post solid; slope and 95 % CI in the legend).
    Bottom row: each session's post - pre change, filled when beyond noise, on a grey band of
    +/- that session's MDC95.
    """
    patients = list(dict.fromkeys(r.patient_id for r in course.visits))[:MAX_PATIENTS_PLOTTED]
    if not patients:
        return None
    fig = Figure(figsize=(10, 5.2 * len(patients)))
    axes = np.atleast_2d(fig.subplots(2 * len(patients), 2, squeeze=False, sharex="col"))
    for p, patient in enumerate(patients):
        for c, side in enumerate(SIDES):
            _course_levels(axes[2 * p, c], course, patient, side)
            _course_changes(axes[2 * p + 1, c], course, patient, side)
    fig.tight_layout()
    return figure_png(fig)


def _course_levels(ax: Axes, course: VisitCourse, patient: str, side: str) -> None:
    colour = SIDE_COLOURS[side]
    for row in course.visits:
        value = getattr(row, f"{side}_severity")
        if row.patient_id == patient and value is not None:
            offset = -0.08 if row.phase == "pre" else 0.08
            _interval_point(ax, float(row.session) + offset, value,
                            getattr(row, f"{side}_interval"), side, row.phase, horizontal=False)
    sessions = [float(r.session) for r in course.visits if r.patient_id == patient]
    xs = np.array([min(sessions), max(sessions)])
    for t in course.trends:
        if (t.patient_id, t.measure) != (patient, f"{side}_severity") or \
                t.slope_per_session is None or t.intercept is None:
            continue
        ci = f" [{t.ci95[0]:+.2f}, {t.ci95[1]:+.2f}]" if t.ci95 else ""
        ax.plot(xs, t.intercept + t.slope_per_session * xs, color=colour, lw=1,
                ls="--" if t.phase == "pre" else "-",
                label=f"{t.phase} trend {t.slope_per_session:+.2f}/session{ci}")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=7, ncol=2)
    ax.set_title(f"patient {patient}, {side} leg: fused severity per visit", fontsize=10)
    ax.set_ylabel("severity (0-4)")
    ax.set_ylim(-0.1, 4.1)
    ax.grid(alpha=0.3)


def _course_changes(ax: Axes, course: VisitCourse, patient: str, side: str) -> None:
    colour = SIDE_COLOURS[side]
    for change in course.changes:
        leg = change.legs[side]
        if change.patient_id != patient or leg.change is None or leg.mdc95 is None:
            continue
        x = float(change.session)
        ax.bar(x, 2 * leg.mdc95, bottom=-leg.mdc95, width=0.6, color="grey", alpha=0.2)
        ax.plot(x, leg.change, "o", color=colour, mec=colour,
                mfc=colour if leg.beyond_noise else "none")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_title(f"patient {patient}, {side} leg: post - pre per session", fontsize=10)
    ax.set_xlabel("session; filled = beyond noise, grey = +/- MDC95")
    ax.set_ylabel("change (severity)")
    ax.grid(alpha=0.3)


# --------------------------------------------------------------------------- tables


def _contributions_table(visits: Sequence[tuple[str, Visit]]) -> str:
    """Per leg, visit and task: each clip's view, weight and severity.

    Of several tasks, the one that gave the leg's visit severity (its largest) is marked.
    """
    rows = []
    for side in SIDES:
        for label, visit in visits:
            leg = visit.legs[side]
            for task, fused in leg.by_task.items():
                mark = " <b>(gives the leg's severity)</b>" if task == leg.severity_task \
                    and len(leg.by_task) > 1 else ""
                rows += [[f"{side} leg", esc(label), esc(task) + mark, esc(c.video), esc(c.view),
                          num(c.weight), severity_cell(c.severity, c.severity_interval)]
                         for c in fused.clips]
    return table(["leg", "visit", "task", "clip", "view", "weight", "clip's severity"], rows)


def _view_values(visit: Visit, side: str, measure: str) -> str:
    """Every clip's value of one phenomenology measure of one leg, with its view and weight."""
    cells = []
    for task, fused in visit.legs[side].by_task.items():
        for c in fused.clips:
            m = getattr(c.phenomenology, measure)
            if m.value is not None:
                cells.append(f"{esc(c.view)} ({esc(task)}, weight {c.weight:.2f}): "
                             f"{measure_text(m)}")
    return "<br>".join(cells) or "&ndash; <span class='small'>no view could measure it</span>"


def _measures_tables(visits: Sequence[tuple[str, Visit]]) -> str:
    """The phenomenology measures of the visits, one table per leg, under plain names."""
    parts = []
    for side in SIDES:
        rows = [[esc(feature_label(measure, unit)),
                 *(_view_values(visit, side, measure) for _, visit in visits)]
                for measure, (unit, _, _) in PHENOMENOLOGY.items()]
        parts.append(f"<h3>{side.capitalize()} leg</h3>" + table(
            ["measure (unit)", *(f"{esc(label)}: per view" for label, _ in visits)], rows))
    return "".join(parts)


def _clips_table(visits: Sequence[tuple[str, Visit]]) -> str:
    rows = [[esc(label), esc(c.video), esc(c.task), esc(c.view_stated or "detected"),
             esc(c.view), num(c.scorable), esc(c.error)]
            for label, visit in visits for c in visit.clips]
    return table(["visit", "clip", "task", "view stated", "view scored", "scorable", "error"],
                 rows)


# --------------------------------------------------------------------------- reports


def visit_compare_report(comparison: VisitComparison, pre: Visit, post: Visit) -> str:
    """HTML report of two visits compared (``visit_change.compare_visits``)."""
    noise = comparison.noise
    visits = ((comparison.pre.label, pre), (comparison.post.label, post))
    parts = [summary_html(comparison.summary), _model_notice(comparison.model),
             "<h2>Severity per leg, pre &rarr; post</h2>",
             f"<p class='small'>Each leg's fused visit severity with its 90 % interval. A change "
             f"is <i>beyond noise</i> when it exceeds the MDC95 of a fused severity, "
             f"{noise.mdc95:.2f} measured on test-retest phantom visits ({esc(noise.source)}), "
             f"scaled up when the two intervals are wider than {noise.reference_halfwidth:.2f}."
             "</p>"]
    uri = visit_change_figure(comparison)
    if uri:
        parts.append(img(uri, "fused severity per leg, pre and post"))
    parts.append(table(["leg", *CHANGE_HEADERS],
                       [[f"{side} leg", *leg_change_cells(leg)]
                        for side, leg in comparison.legs.items()]))
    parts += _visit_detail(visits)
    return page("posescore visit comparison", "".join(parts))


def _visit_detail(visits: Sequence[tuple[str, Visit]]) -> list[str]:
    """The contributions, the measures by leg and the clips of the visits."""
    return ["<h2>Clips that contributed</h2>" + _contributions_table(visits),
            "<h2>Measures by leg</h2><p class='small'>What each view could see; a view that "
            "cannot show a measure is left out.</p>" + _measures_tables(visits),
            "<h2>Clips of the visit" + ("s" if len(visits) > 1 else "") + "</h2>"
            + _clips_table(visits)]


def visit_report(visit: Visit, label: str) -> str:
    """HTML report of one visit (``visit.build_visit``): its legs fused, then the detail."""
    rows = []
    for side, leg in visit.legs.items():
        if not leg.judged:
            rows.append([f"{side} leg", "not judged", esc(leg.reason), "", ""])
            continue
        rows.append([f"{side} leg", severity_cell(leg.severity, leg.severity_interval),
                     esc(leg.severity_task), num(leg.provoking_factor, 0), num(leg.leg_item)])
    parts = [summary_html(visit.summary), _model_notice(visit.model),
             "<h2>Severity per leg</h2><p class='small'>Each leg's severity fused from the clips "
             "that can see it, with its 90 % interval; of several tasks, the largest.</p>",
             table(["leg", "severity (90 % interval)", "task", "provoking factor", "leg item"],
                   rows),
             f"<p>Affected: <b>{esc(visit.affected_side or 'not judged')}</b></p>",
             *_visit_detail(((label, visit),))]
    return page("posescore visit", "".join(parts))


def visit_course_report(course: VisitCourse, plot_uri: Optional[str]) -> str:
    """HTML report of a course of visits (``visit_change.build_visit_course``)."""
    parts = [summary_html(course.summary), _model_notice(course.model)]
    if plot_uri:
        parts.append(img(plot_uri, "course chart per leg"))
    parts.append("<h2>Trends</h2>" + trends_table_html(
        [t.model_dump() for t in course.trends]))
    parts.append("<h2>Pre/post change per session</h2>" + table(
        ["patient", "session", "leg", *CHANGE_HEADERS],
        [[esc(c.patient_id), esc(c.session), f"{side} leg", *leg_change_cells(c.legs[side])]
         for side in SIDES for c in course.changes]))
    parts.append("<h2>Visits</h2>" + table(
        ["patient", "session", "date", "phase", "visit", "clips scorable", "left leg",
         "right leg", "error"],
        [[esc(r.patient_id), esc(r.session), esc(r.date), esc(r.phase), esc(r.visit.label),
          f"{r.visit.n_scorable} of {r.visit.n_clips}",
          severity_cell(r.left_severity, r.left_interval),
          severity_cell(r.right_severity, r.right_interval), esc(r.error)]
         for r in course.visits]))
    return page("posescore course of visits", "".join(parts))
