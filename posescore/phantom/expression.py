"""Dystonia expression space of the phantom: how an affected leg walks, and its severity rule.

Patients express focal leg dystonia in many ways, and two generators written by different
people disagree on which signs grow with severity. The phantom therefore draws each affected
leg's *expression* from named families (``EXPRESSION_FAMILIES``), and defines severity
clinically from whatever the expression holds (``severity_from_expression``), never from
one mapping. Transfer is measured by holding whole families out.

Components of a :class:`LegExpression` (amplitudes while the posture is present):

- equinus (ankle plantarflexion), sustained (severe at 30 deg) or in swing only (severe at
  40 deg);
- inversion and adduction of the foot;
- big-toe extension ("striatal toe");
- the knee: stiff (less swing flexion), crouched (more stance flexion), steppage (more swing
  flexion) or hyperextended in stance;
- a shortened step and a slower cadence;
- irregular 4-8 Hz foot tremor;
- intermittency: the share of strides that carry the posture, scattered or in bouts.

The severity rule (BFMDRS leg anchors: 0 none, 1 slight or occasional, 2 mild or frequent,
3 moderate, 4 severe or sustained; Burke et al. 1985, Neurology 35:73) combines how far the
worst posture lies outside the normal range (``magnitude``), how often it is expressed
(``posture_fraction``) and how much it disturbs the gait (``disturbance``)::

    severity = 4 * magnitude * (0.3 + 0.7 * posture_fraction) * (0.7 + 0.3 * disturbance)

``docs/severity_rule.md`` explains the anchors and the families.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from posescore.phantom.variation import PostureMix

EquinusTiming = Literal["sustained", "swing"]
PosturePattern = Literal["scattered", "bouts"]

SEVERE_DEG: Mapping[str, float] = {
    "equinus_deg": 30.0,
    "inversion_deg": 30.0,
    "adduction_deg": 20.0,
    "toe_extension_deg": 40.0,
    "knee_stiff_deg": 30.0,
    "knee_crouch_deg": 25.0,
    "knee_steppage_deg": 30.0,
    "knee_hyperextension_deg": 15.0,
    "tremor_deg": 8.0,
}
"""Posture amplitude, deg, that counts as severe (magnitude 1) in the severity rule. Normal
walking: ankle near neutral at initial contact and about 15 deg plantarflexion at toe off;
knee about 60 deg flexion in swing and 15-20 deg at loading response, never extended past
straight; foot neither inverted nor tremulous (Perry & Burnfield 2010, *Gait Analysis*, 2nd
ed., ch. 4-6; Winter 2009, appendix A)."""
SEVERE_STEP_SHORTENING = 0.4
"""Share of the stride length lost that counts as a fully disturbed gait."""
SEVERE_CADENCE_REDUCTION = 0.2
"""Share of the cadence lost that counts as a fully disturbed gait."""
SEVERE_SWING_EQUINUS_DEG = 40.0
"""Severe equinus when it is present in swing only: the healthy ankle already plantarflexes
about 15 deg at toe off, so a swing-only posture must go further to be as abnormal."""


class LegExpression(BaseModel):
    """How one affected leg expresses dystonia (all amplitudes while the posture is present).

    The default (all zero) is a healthy leg.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: str = Field("none", description="Expression family it was drawn from.")
    equinus_deg: float = Field(0.0, ge=0.0, le=45.0, description="Ankle plantarflexion, deg.")
    equinus_timing: EquinusTiming = Field(
        "sustained", description="sustained (stance and swing) or swing (toe off to loading).")
    inversion_deg: float = Field(0.0, ge=0.0, le=45.0, description="Foot inversion, deg.")
    adduction_deg: float = Field(0.0, ge=0.0, le=30.0, description="Foot adduction (toe in), deg.")
    toe_extension_deg: float = Field(0.0, ge=0.0, le=55.0, description="Great-toe extension, deg.")
    knee_stiff_deg: float = Field(0.0, ge=0.0, le=45.0,
                                  description="Loss of peak swing knee flexion, deg.")
    knee_crouch_deg: float = Field(0.0, ge=0.0, le=40.0,
                                   description="Extra stance knee flexion, deg.")
    knee_steppage_deg: float = Field(0.0, ge=0.0, le=45.0,
                                     description="Extra swing knee flexion (half at the hip), deg.")
    knee_hyperextension_deg: float = Field(
        0.0, ge=0.0, le=25.0, description="Mid-stance knee extension past straight, deg.")
    step_shortening: float = Field(0.0, ge=0.0, le=0.6,
                                   description="Share of the stride's hip excursion lost.")
    cadence_reduction: float = Field(0.0, ge=0.0, le=0.3, description="Share of cadence lost.")
    tremor_deg: float = Field(0.0, ge=0.0, le=12.0,
                              description="Amplitude of the irregular 4-8 Hz ankle tremor, deg.")
    posture_fraction: float = Field(0.0, ge=0.0, le=1.0,
                                    description="Share of strides carrying the posture.")
    posture_pattern: PosturePattern = Field(
        "scattered", description="Posture strides scattered at random or in one bout.")
    circumduction_per_stiff: float = Field(
        0.3, ge=0.0, le=1.0, description="Swing hip abduction per deg of knee stiffness.")


def severe_deg(name: str, timing: EquinusTiming = "sustained") -> float:
    """The severe amplitude of a posture component, deg.

    ``SEVERE_DEG``, except swing-only equinus: ``SEVERE_SWING_EQUINUS_DEG``.
    """
    if name == "equinus_deg" and timing == "swing":
        return SEVERE_SWING_EQUINUS_DEG
    return SEVERE_DEG[name]


def magnitude(expression: LegExpression) -> float:
    """How far the worst posture lies outside the normal range, 0-1 (1 = severe)."""
    worst = max(getattr(expression, name) / severe_deg(name, expression.equinus_timing)
                for name in SEVERE_DEG)
    return float(min(1.0, worst))


def disturbance(expression: LegExpression) -> float:
    """How much the gait is disturbed, 0-1: the larger of step shortening and cadence loss."""
    d = max(expression.step_shortening / SEVERE_STEP_SHORTENING,
            expression.cadence_reduction / SEVERE_CADENCE_REDUCTION)
    return float(min(1.0, d))


def severity_from_expression(expression: LegExpression) -> float:
    """Clinical severity 0-4 of an expression (the rule in the module docstring)."""
    if expression.posture_fraction <= 0.0:
        return 0.0
    s = (4.0 * magnitude(expression) * (0.3 + 0.7 * expression.posture_fraction)
         * (0.7 + 0.3 * disturbance(expression)))
    return float(np.clip(s, 0.0, 4.0))


# --- legacy: the original phantom's single picture, kept for family-0 clips and old sets ---
LEGACY_SEVERE = {"equinus_deg": 30.0, "inversion_deg": 30.0, "toe_extension_deg": 40.0}
"""Amplitudes of the original phantom at severity 4 (linear in severity)."""
LEGACY_POSTURE_PROBABILITY = ((0.0, 1.0, 2.0, 3.0, 4.0), (0.0, 0.3, 0.6, 0.9, 1.0))
"""Original phantom: share of strides that carry the posture, versus severity."""


def legacy_expression(severity: float, mix: PostureMix | None = None) -> LegExpression:
    """The original phantom's expression at ``severity``: one picture of the disease.

    Sustained equinus with steppage (0.6 deg swing knee flexion per deg) and a crouched
    stance knee (1 deg per deg), inversion with adduction (0.4 deg per deg), toe extension
    and a shortened step, all linear in severity, scaled per subject by ``mix``; the cadence
    slows above severity 2.5. Its ``family`` is ``legacy``.
    """
    mix = mix if mix is not None else PostureMix()
    m = severity / 4.0
    equinus = LEGACY_SEVERE["equinus_deg"] * mix.equinus * m
    inversion = LEGACY_SEVERE["inversion_deg"] * mix.inversion * m
    return LegExpression(
        family="legacy" if severity > 0 else "none",
        equinus_deg=equinus,
        inversion_deg=inversion,
        adduction_deg=0.4 * inversion,
        toe_extension_deg=LEGACY_SEVERE["toe_extension_deg"] * mix.toe_extension * m,
        knee_crouch_deg=1.0 * equinus,
        knee_steppage_deg=0.6 * equinus,
        step_shortening=SEVERE_STEP_SHORTENING * mix.stride_reduction * m,
        cadence_reduction=SEVERE_CADENCE_REDUCTION * float(np.clip((severity - 2.5) / 1.5, 0, 1)),
        posture_fraction=float(np.interp(severity, *LEGACY_POSTURE_PROBABILITY)),
        circumduction_per_stiff=0.0,
    )


# --- named families ---------------------------------------------------------------------
_POSTURES = ("equinus_deg", "inversion_deg", "toe_extension_deg", "knee_stiff_deg",
             "knee_crouch_deg", "knee_steppage_deg", "knee_hyperextension_deg", "tremor_deg")

EXPRESSION_FAMILIES: dict[str, dict] = {
    "equinus_sustained": {
        "describe": "sustained equinus in stance and swing; steppage or crouch often beside it",
        "primary": ("equinus_deg",), "timing": "sustained",
        "secondary": {"knee_steppage_deg": 0.6, "knee_crouch_deg": 0.4, "inversion_deg": 0.4}},
    "equinus_swing": {
        "describe": "equinus in swing only: the foot points down from toe off to loading, "
                    "then relaxes; toe extension or a stiff knee beside it",
        "primary": ("equinus_deg",), "timing": "swing",
        "secondary": {"toe_extension_deg": 0.5, "knee_stiff_deg": 0.4, "tremor_deg": 0.3}},
    "equinovarus": {
        "describe": "inversion with adduction (the foot turns in), some equinus",
        "primary": ("inversion_deg",), "timing": "sustained",
        "secondary": {"equinus_deg": 0.7, "toe_extension_deg": 0.3, "knee_crouch_deg": 0.3}},
    "striatal_toe": {
        "describe": "great-toe extension dominates; mild inversion or equinus beside it",
        "primary": ("toe_extension_deg",), "timing": "swing",
        "secondary": {"inversion_deg": 0.5, "equinus_deg": 0.5, "knee_stiff_deg": 0.3}},
    "stiff_knee": {
        "describe": "a stiff knee: less swing flexion, with hip circumduction; mild equinus",
        "primary": ("knee_stiff_deg",), "timing": "sustained",
        "secondary": {"equinus_deg": 0.5, "inversion_deg": 0.3, "tremor_deg": 0.3}},
    "crouch": {
        "describe": "a crouched, flexed stance knee; equinus or inversion beside it",
        "primary": ("knee_crouch_deg",), "timing": "sustained",
        "secondary": {"equinus_deg": 0.5, "inversion_deg": 0.4, "knee_steppage_deg": 0.3}},
    "hyperextension": {
        "describe": "knee hyperextension in stance (back-kneeing), usually with equinus",
        "primary": ("knee_hyperextension_deg",), "timing": "sustained",
        "secondary": {"equinus_deg": 0.7, "toe_extension_deg": 0.3, "inversion_deg": 0.3}},
    "tremulous": {
        "describe": "irregular 4-8 Hz foot tremor with an intermittent posture",
        "primary": ("tremor_deg",), "timing": "swing",
        "secondary": {"equinus_deg": 0.5, "inversion_deg": 0.5, "toe_extension_deg": 0.4}},
}
"""Named expression families: each draws a primary posture at the rule's magnitude and some
secondary components below it; every family shortens the step or slows the cadence as the
rule's disturbance asks. Hold whole families out to measure transfer."""
EXPRESSION_FAMILY_NAMES = tuple(EXPRESSION_FAMILIES)

_STREAM_EXPRESSION = 41


def draw_expression(severity: float, family: str, seed: int) -> LegExpression:
    """Draw an expression of ``family`` whose rule severity is ``severity`` (0-4).

    The subject's shape (secondary shares, timing, bouts, which of step shortening or
    cadence loss leads) depends on ``seed`` only; the amplitudes follow ``severity``, so the
    same subject at two severities differs in degree, not in kind.

    Raises
    ------
    ValueError
        Unknown family or a severity outside [0, 4].
    """
    if family not in EXPRESSION_FAMILIES:
        raise ValueError(f"unknown expression family {family!r}; "
                         f"known: {', '.join(EXPRESSION_FAMILY_NAMES)}")
    if not 0.0 <= severity <= 4.0:
        raise ValueError(f"severity must be in [0, 4], got {severity}")
    if severity == 0.0:
        return LegExpression()
    recipe = EXPRESSION_FAMILIES[family]
    rng = np.random.default_rng([seed, _STREAM_EXPRESSION])
    # the subject's shape: fixed across sessions
    d_share, f_draw = float(rng.uniform(0.6, 1.25)), float(rng.uniform())
    shares = {name: float(rng.uniform(0.0, top)) if rng.random() < 0.7 else 0.0
              for name, top in recipe["secondary"].items()}
    other = [p for p in _POSTURES if p not in recipe["primary"] and p not in shares]
    stray = other[int(rng.integers(len(other)))]
    shares[stray] = float(rng.uniform(0.0, 0.25))  # a small component from outside the family
    step_leads = rng.random() < 0.6
    lagging_share = float(rng.uniform(0.0, 1.0))
    bouts = rng.random() < 0.4
    adduction_share = float(rng.uniform(0.3, 0.7))
    # the severity's share of each rule term
    s4 = severity / 4.0
    d = float(np.clip(s4 * d_share, 0.0, 1.0))
    d = max(d, (s4 - 0.7) / 0.3)  # (0.7 + 0.3 d) >= s/4, so that magnitude <= 1 is possible
    mf = s4 / (0.7 + 0.3 * d)  # magnitude x (0.3 + 0.7 f)
    f_min = max(0.2, (mf - 0.3) / 0.7)  # magnitude <= 1
    f = float(np.clip(f_min + f_draw * (1.0 - f_min), 0.0, 1.0))
    m = mf / (0.3 + 0.7 * f)
    timing = recipe["timing"]
    amp = {name: m * severe_deg(name, timing) for name in recipe["primary"]}
    amp.update({name: share * m * severe_deg(name, timing) for name, share in shares.items()})
    lead, lag = (SEVERE_STEP_SHORTENING, SEVERE_CADENCE_REDUCTION)
    step = d * lead if step_leads else d * lead * lagging_share
    cadence = d * lag * lagging_share if step_leads else d * lag
    inversion = amp.get("inversion_deg", 0.0)
    return LegExpression(
        family=family,
        equinus_deg=amp.get("equinus_deg", 0.0),
        equinus_timing=timing,
        inversion_deg=inversion,
        adduction_deg=min(adduction_share * inversion, m * SEVERE_DEG["adduction_deg"]),
        toe_extension_deg=amp.get("toe_extension_deg", 0.0),
        knee_stiff_deg=amp.get("knee_stiff_deg", 0.0),
        knee_crouch_deg=amp.get("knee_crouch_deg", 0.0),
        knee_steppage_deg=amp.get("knee_steppage_deg", 0.0),
        knee_hyperextension_deg=amp.get("knee_hyperextension_deg", 0.0),
        step_shortening=step,
        cadence_reduction=cadence,
        tremor_deg=amp.get("tremor_deg", 0.0),
        posture_fraction=f,
        posture_pattern="bouts" if bouts else "scattered",
    )
