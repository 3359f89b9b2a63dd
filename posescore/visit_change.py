"""Visits compared and followed over a course: did a fused severity change beyond noise.

A leg's change between two visits is post - pre of its fused severity
(``visit.build_visit``). It is called beyond noise when it exceeds the leg's MDC95: the
minimal detectable change of a fused severity measured on test-retest phantom visits
(``VisitConfig.mdc95``, ``bench/visit_mdc.py``; MDC95 = 1.96 x sqrt(2) x SEM, Weir 2005),
scaled up by the fused intervals: when the two visits' fused 90 % intervals are wider than
those of the measured visits (``VisitConfig.mdc_reference_halfwidth``; e.g. the leg was seen
only as the far leg or only from the front), the MDC95 grows in proportion to the root mean
square of the two half-widths. That proportionality is an assumption, not a measurement.

A course manifest (``read_visit_course``) lists visits, each a manifest or folder as
``posescore visit`` takes: ``visit, session, phase`` and optionally ``date``, ``patient_id``.
Per patient and phase each leg's fused severity gets a linear trend across sessions
(``course.linear_trend``), and each session's post visit is compared with its pre visit.

References
----------
Weir JP. Quantifying test-retest reliability using the intraclass correlation coefficient
and the SEM. J Strength Cond Res 2005;19:231-240.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from posescore.config import Settings
from posescore.constants import SIDES
from posescore.contract.visit import Visit, VisitLeg
from posescore.contract.visit_change import (
    VISIT_COMPARE_SCHEMA,
    VISIT_COURSE_SCHEMA,
    VisitComparison,
    VisitCourse,
    VisitInfo,
    VisitLegChange,
    VisitNoise,
    VisitRow,
    VisitSessionChange,
)
from posescore.course import PHASES, linear_trend, session_number
from posescore.errors import PosescoreError
from posescore.htmlpage import png_bytes
from posescore.manifest import Column, read_manifest
from posescore.plain import change_sentence, model_sentence, trend_sentence
from posescore.visit import is_visit_source
from posescore.visit_report import visit_course_figure, visit_course_report

NOISE_SOURCE = "python bench/visit_mdc.py"
VISIT_COURSE_COLUMNS = (
    Column("visit", "path"),
    Column("session", "number"),
    Column("phase", "choice", choices=PHASES, lower=True),
    Column("date", required=False, default=""),
    Column("patient_id", required=False, default=""),
)
"""Columns of a course manifest of visits (``date`` and ``patient_id`` optional)."""


def comparing_visits(pre: str | Path, post: str | Path) -> bool:
    """Whether ``compare`` was given two visits (True) or two clips (False).

    Raises
    ------
    PosescoreError
        One visit and one clip.
    """
    visits = is_visit_source(pre), is_visit_source(post)
    if visits[0] != visits[1]:
        raise PosescoreError("compare two visits (manifests, folders or visit JSON) or two "
                             "clips (videos or score JSON), not one of each")
    return visits[0]


def visit_noise(settings: Settings) -> VisitNoise:
    """The measured noise of a fused severity (``settings.visit``)."""
    return VisitNoise(
        mdc95=settings.visit.mdc95, reference_halfwidth=settings.visit.mdc_reference_halfwidth,
        source=NOISE_SOURCE,
        method="MDC95 = 1.96 x sqrt(2) x SEM, SEM = SD(retest - test) / sqrt(2) of fused leg "
               "severities of phantom visits filmed twice (Weir 2005); scaled up by the "
               "root mean square of the two fused half-widths over reference_halfwidth")


def interval_halfwidth(severity: float, interval: Sequence[float]) -> float:
    """The larger side of a fused interval (its shorter side may be cut at 0 or 4)."""
    return max(severity - interval[0], interval[1] - severity)


def leg_mdc95(pre: VisitLeg, post: VisitLeg, noise: VisitNoise) -> float:
    """The change noise can make for a leg judged in both visits, severity points."""
    widths = [interval_halfwidth(leg.severity, leg.severity_interval)  # type: ignore[arg-type]
              for leg in (pre, post)]
    rms = (sum(w * w for w in widths) / 2) ** 0.5
    return round(noise.mdc95 * max(1.0, rms / noise.reference_halfwidth), 3)


def leg_change(pre: VisitLeg, post: VisitLeg, noise: VisitNoise) -> VisitLegChange:
    """One leg's change between two visits, with the verdict and its reason."""
    fields = dict(pre=pre.severity, post=post.severity, pre_interval=pre.severity_interval,
                  post_interval=post.severity_interval)
    if None in (pre.severity, post.severity, pre.severity_interval, post.severity_interval):
        which = " and ".join(n for n, leg in (("first", pre), ("second", post))
                             if leg.severity is None)
        return VisitLegChange(**fields, change=None, mdc95=None, beyond_noise=False,
                              direction="not assessable",
                              reason=f"the leg was not judged in the {which} visit")
    change = round(post.severity - pre.severity, 3)  # type: ignore[operator]
    mdc = leg_mdc95(pre, post, noise)
    if abs(change) <= mdc:
        return VisitLegChange(**fields, change=change, mdc95=mdc, beyond_noise=False,
                              direction="no change beyond noise",
                              reason=f"|change| {abs(change):.2f} <= MDC95 {mdc:.2f}")
    return VisitLegChange(**fields, change=change, mdc95=mdc, beyond_noise=True,
                          direction="increase" if change > 0 else "decrease",
                          reason=f"|change| {abs(change):.2f} > MDC95 {mdc:.2f}")


def visit_info(label: str, visit: Visit) -> VisitInfo:
    """Name, clip counts and affected side of a visit."""
    return VisitInfo(label=label, n_clips=len(visit.clips),
                     n_scorable=sum(c.scorable for c in visit.clips),
                     affected_side=visit.affected_side)


def compare_visits(
    pre: Visit, post: Visit, settings: Settings, labels: tuple[str, str] = ("pre", "post")
) -> VisitComparison:
    """Two visits of one person, leg by leg, with a plain-language summary first."""
    noise = visit_noise(settings)
    legs = {side: leg_change(pre.legs[side], post.legs[side], noise) for side in SIDES}
    model = post.model or pre.model
    return VisitComparison(
        schema=VISIT_COMPARE_SCHEMA,
        summary=[*(_sentence(side, leg) for side, leg in legs.items()),
                 model_sentence(model.model_dump() if model else None)],
        pre=visit_info(labels[0], pre), post=visit_info(labels[1], post), legs=legs,
        noise=noise, model=model)


def _sentence(side: str, leg: VisitLegChange) -> str:
    return change_sentence(side, leg.pre, leg.post, leg.mdc95, leg.beyond_noise, leg.reason)


def _interval(interval: Optional[list[float]]) -> str:
    return f"[{interval[0]:.1f}, {interval[1]:.1f}]" if interval else "-"


def _num(value: Optional[float], signed: bool = False) -> str:
    return "-" if value is None else f"{value:+.2f}" if signed else f"{value:.2f}"


def visit_compare_text(comparison: VisitComparison) -> str:
    """The summary first, then the table per leg and the visits' clips."""
    lines = [*comparison.summary, ""]
    for name, info in (("pre ", comparison.pre), ("post", comparison.post)):
        lines.append(f"{name}  {info.label}: {info.n_scorable} of {info.n_clips} clips "
                     f"scorable, affected side {info.affected_side or '-'}")
    lines += ["", "leg     pre (90 % interval)    post (90 % interval)   change  MDC95  verdict"]
    for side, leg in comparison.legs.items():
        lines.append(f"{side:<6}  {_num(leg.pre):>5} {_interval(leg.pre_interval):<14}  "
                     f"{_num(leg.post):>5} {_interval(leg.post_interval):<14}  "
                     f"{_num(leg.change, True):>6}  {_num(leg.mdc95):>5}  {leg.direction}")
    noise = comparison.noise
    lines.append(f"noise   MDC95 {noise.mdc95:.2f} of a fused severity ({noise.source})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- course


@dataclass(frozen=True)
class VisitEntry:
    """One row of a course manifest of visits."""

    visit: Path
    session: int | float
    phase: str
    date: str = ""
    patient_id: str = "patient"


def is_visit_course(manifest: str | Path) -> bool:
    """Whether a course manifest lists visits (a ``visit`` column), not single videos."""
    try:
        with open(manifest, newline="", encoding="utf-8-sig") as fh:
            return "visit" in (next(csv.reader(fh), None) or [])
    except OSError:
        return False


def read_visit_course(manifest: str | Path) -> list[VisitEntry]:
    """The visits of a course manifest; ``visit`` resolved against the manifest's folder.

    Raises
    ------
    ManifestError
        Missing columns, a non-numeric session, a phase other than pre or post, no row
        (naming the line and column).
    """
    entries = []
    for row in read_manifest(manifest, VISIT_COURSE_COLUMNS, "course manifest").rows:
        values = row.values
        entries.append(VisitEntry(
            values["visit"], session_number(values["session"]), values["phase"],
            values["date"], values["patient_id"] or "patient",
        ))
    return entries


def build_visit_course(
    entries: Sequence[VisitEntry], visits: Sequence[Optional[Visit]],
    errors: Sequence[str], settings: Settings,
) -> VisitCourse:
    """Rows, trends per patient, phase and leg, and per-session post - pre changes."""
    noise = visit_noise(settings)
    rows, by_key = [], {}
    for entry, visit, error in sorted(zip(entries, visits, errors),
                                      key=lambda t: (t[0].patient_id, t[0].session,
                                                     t[0].phase != "pre")):
        legs = visit.legs if visit else {}
        rows.append(VisitRow(
            patient_id=entry.patient_id, session=entry.session, date=entry.date,
            phase=entry.phase,  # type: ignore[arg-type]
            visit=visit_info(entry.visit.name, visit) if visit else VisitInfo(
                label=entry.visit.name, n_clips=0, n_scorable=0, affected_side=None),
            left_severity=legs["left"].severity if visit else None,
            left_interval=legs["left"].severity_interval if visit else None,
            right_severity=legs["right"].severity if visit else None,
            right_interval=legs["right"].severity_interval if visit else None,
            error=error))
        if visit:
            by_key[(entry.patient_id, entry.session, entry.phase)] = visit
    trends = []
    for patient in dict.fromkeys(r.patient_id for r in rows):
        for phase in PHASES:
            mine = [r for r in rows if r.patient_id == patient and r.phase == phase]
            for side in SIDES:
                y = [getattr(r, f"{side}_severity") for r in mine]
                if sum(v is not None for v in y) < 3:
                    continue
                fit = linear_trend([float(r.session) for r in mine], y)
                ci = fit["ci95"]
                trends.append(dict(
                    patient_id=patient, phase=phase, task="visit", measure=f"{side}_severity",
                    unit="0-4", slope_per_session=fit["slope"], ci95=ci,
                    p_value=fit["p_value"], intercept=fit["intercept"], n_sessions=fit["n"],
                    direction="no clear trend" if ci is None or ci[0] <= 0 <= ci[1]
                    else "decreasing" if ci[1] < 0 else "increasing"))
    changes = [
        VisitSessionChange(patient_id=patient, session=session, legs={
            side: leg_change(pre.legs[side], by_key[(patient, session, "post")].legs[side],
                             noise) for side in SIDES})
        for (patient, session, phase), pre in by_key.items()
        if phase == "pre" and (patient, session, "post") in by_key
    ]
    model = next((v.model for v in visits if v is not None and v.model), None)
    course = VisitCourse.model_validate({
        "schema": VISIT_COURSE_SCHEMA, "summary": [], "visits": rows, "trends": trends,
        "changes": changes, "noise": noise, "model": model})
    course.summary = [*_course_sentences(course),
                      model_sentence(model.model_dump() if model else None)]
    return course


def _course_sentences(course: VisitCourse) -> list[str]:
    """Per patient and leg: the trend of each phase, then the pre/post changes beyond noise."""
    out = []
    for patient in dict.fromkeys(r.patient_id for r in course.visits):
        for side in SIDES:
            leg = f"Patient {patient}, {side} leg"
            out += [trend_sentence(leg, t.model_dump()) for t in course.trends
                    if (t.patient_id, t.measure) == (patient, f"{side}_severity")]
            mine = [c.legs[side] for c in course.changes if c.patient_id == patient]
            if mine:
                down = sum(c.direction == "decrease" for c in mine)
                up = sum(c.direction == "increase" for c in mine)
                out.append(f"{leg}: after treatment, lower beyond noise in {down} and higher "
                           f"beyond noise in {up} of {len(mine)} sessions.")
    return out


def visit_course_text(course: VisitCourse) -> str:
    """The summary first, then one line per visit and per session change."""
    lines = [*course.summary, "", "patient  session  phase  date        left (90 % interval)"
             "     right (90 % interval)    note"]
    for r in course.visits:
        lines.append(f"{r.patient_id:<8} {r.session!s:>7}  {r.phase:<5}  {r.date:<10}  "
                     f"{_num(r.left_severity):>5} {_interval(r.left_interval):<14}  "
                     f"{_num(r.right_severity):>5} {_interval(r.right_interval):<14}  "
                     f"{r.error}")
    if course.changes:
        lines += ["", "patient  session  left change (MDC95) verdict       "
                  "right change (MDC95) verdict"]
    for c in course.changes:
        cells = [f"{_num(c.legs[s].change, True):>6} ({_num(c.legs[s].mdc95)}) "
                 f"{c.legs[s].direction:<22}" for s in SIDES]
        lines.append(f"{c.patient_id:<8} {c.session!s:>7}  {'  '.join(cells)}")
    return "\n".join(lines)


def run_visit_course(
    manifest: str | Path, out_dir: str | Path, load: Callable[[Path], Visit],
    settings: Settings,
) -> VisitCourse:
    """Load every visit of the manifest with ``load``; write the course's files.

    The files are course.json, visits.csv, course.png (the chart, when there is a visit) and
    course.html. A visit that fails becomes a row with its error; the course goes on.
    """
    entries = read_visit_course(manifest)
    visits: list[Optional[Visit]] = []
    errors = []
    for entry in entries:
        try:
            visits.append(load(entry.visit))
            errors.append("")
        except PosescoreError as exc:
            visits.append(None)
            errors.append(str(exc))
    course = build_visit_course(entries, visits, errors, settings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "course.json").write_text(json.dumps(course.to_json(), indent=1) + "\n")
    with open(out / "visits.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["patient_id", "session", "date", "phase", "visit", "left_severity",
                         "right_severity", "error"])
        writer.writerows([r.patient_id, r.session, r.date, r.phase, r.visit.label,
                          r.left_severity, r.right_severity, r.error] for r in course.visits)
    uri = visit_course_figure(course)
    if uri:
        (out / "course.png").write_bytes(png_bytes(uri))
    (out / "course.html").write_text(visit_course_report(course, uri), encoding="utf-8")
    return course
