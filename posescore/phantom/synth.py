"""Phantom clips end to end: simulate the walk, frame the camera, write video and ground truth."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from posescore.constants import SIDES, Side
from posescore.phantom.annotate import round_list, variation_truth
from posescore.phantom.crowd import make_bystander
from posescore.phantom.kinematics import stride_spans_s
from posescore.phantom.look import PhantomLook
from posescore.phantom.params import PhantomParams, PhantomView
from posescore.phantom.render import WALL_BEHIND_M, Camera, draw_frame
from posescore.phantom.scene import (
    Degrader,
    draw_occluder,
    occluder_rect,
    scene_background,
    shake_path,
)
from posescore.phantom.simulation import OVERSAMPLE, Simulation, shifted, simulate, time_reversed
from posescore.phantom.variation import PhantomScene
from posescore.phantom.writer import ClipWriter

logger = logging.getLogger(__name__)

TRUTH_SCHEMA_VERSION = "1"
CONTACT_TOLERANCE_M = 0.002
"""A foot whose lowest sole point is this close to the floor is in contact, m."""
MIN_EVENT_GAP_S = 0.06
"""Contacts or flights shorter than this are merged away, s."""
FRAME_MARGIN_FRAC = 0.03
"""Smallest gap between the figure and the frame edge, fraction of the frame width."""
ACROSS_HEIGHT_FRAC = (0.55, 0.62)
"""Body height in frame for ``across`` clips (the look's 0.55-0.80 mapped into this), fraction."""
ACROSS_AMPLITUDE_SCALES = (1.0, 0.85, 0.7)
"""Slower, shorter-stepped walking tried in turn so that an ``across`` clip fits the frame."""
TOWARDS_APPROACH_M = 8.0
"""Longest approach of a ``towards`` clip, body extent included, m (partial treadmill beyond);
the back wall stands this far plus ``TOWARDS_WALL_GAP_M`` behind the walk's end."""
TOWARDS_WALL_GAP_M = 1.0
TRUTH_JOINTS = ("hip", "knee", "ankle", "heel", "toe")
_RNG_STREAM_NOISE = 3
_RNG_STREAM_SHAKE = 4
NEAR_SIDE = {"sagittal_left": "left", "sagittal_right": "right", "oblique_left": "left",
             "oblique_right": "right"}


def _severity_per_leg(params: PhantomParams) -> dict[Side, float]:
    return {side: params.severity if side == params.affected_side else 0.0 for side in SIDES}



def _x_extent_m(sim: Simulation, fraction: float) -> tuple[float, float]:
    pts = np.stack(list(sim.skeleton.points.values()), axis=1)
    x = pts[:, :, 0] - (1.0 - fraction) * sim.progression_m[:, None]
    pad = 0.1 * sim.dims.height_m
    return float(x.min()) - pad, float(x.max()) + pad


def _with_progression_fraction(sim: Simulation, fraction: float) -> Simulation:
    offset = np.zeros((len(sim.t_s), 3))
    offset[:, 0] = -(1.0 - fraction) * sim.progression_m
    return Simulation(sim.t_s, sim.plan, sim.dims, sim.phases, shifted(sim.skeleton, offset),
                      sim.clearance_m, sim.amplitude_scale, fraction, fraction * sim.progression_m)


def simulate_clip(params: PhantomParams, look: PhantomLook) -> tuple[Simulation, float]:
    """Simulate the clip (forward, or reversed for ``direction="backward"``), choose its size."""
    sim, frac = _simulate_forward_clip(params, look)
    if params.direction == "backward":
        sim = time_reversed(sim)
    return sim, frac


def _simulate_forward_clip(params: PhantomParams, look: PhantomLook) -> tuple[Simulation, float]:
    """Simulate the clip and choose the body height in frame, fraction of frame height.

    ``across`` clips use a smaller figure (``ACROSS_HEIGHT_FRAC``) and, if the walk still does
    not fit, slower shorter steps (``ACROSS_AMPLITUDE_SCALES``) and finally a partial
    treadmill (the stance foot slides by ``1 - progression_fraction`` of the walking speed).
    ``towards`` clips approach the camera by at most ``TOWARDS_APPROACH_M`` (partial treadmill
    beyond) and end at the look's height in frame.
    """
    if params.walk == "in_place":
        return simulate(params, look), look.body_height_frac
    if params.walk == "towards":
        return _fitted_progression(simulate(params, look), TOWARDS_APPROACH_M), \
            look.body_height_frac
    lo, hi = ACROSS_HEIGHT_FRAC
    frac = min(look.body_height_frac, lo + (hi - lo) * (look.body_height_frac - 0.55) / 0.25)
    frac = float(np.clip(frac, min(lo, look.body_height_frac), hi))
    px_per_m = frac * params.height / look.body_height_m
    usable_m = params.width * (1 - 2 * FRAME_MARGIN_FRAC) / px_per_m / 1.05
    for scale in ACROSS_AMPLITUDE_SCALES:
        sim = simulate(params, look, scale)
        x0, x1 = _x_extent_m(sim, 1.0)
        if x1 - x0 <= usable_m:
            return sim, frac
    return _fitted_progression(sim, usable_m), frac


def _fitted_progression(sim: Simulation, usable_m: float) -> Simulation:
    """``sim`` on the partial treadmill whose body's X extent just fits ``usable_m``, m.

    The whole no-slip walk when it fits; else the largest progression fraction that does
    (bisection; the supporting foot then slides by the rest).
    """
    x0, x1 = _x_extent_m(sim, 1.0)
    if x1 - x0 <= usable_m:
        return sim
    lo_f, hi_f = 0.0, 1.0
    for _ in range(30):
        mid = 0.5 * (lo_f + hi_f)
        x0, x1 = _x_extent_m(sim, mid)
        lo_f, hi_f = (mid, hi_f) if x1 - x0 <= usable_m else (lo_f, mid)
    return _with_progression_fraction(sim, lo_f)


def make_camera(params: PhantomParams, look: PhantomLook, sim: Simulation,
                height_frac: float, scene: PhantomScene | None = None) -> Camera:
    """Camera at the scene's height and distance, scaled to ``height_frac``, on the walk."""
    scene = scene if scene is not None else PhantomScene()
    px_per_m = height_frac * params.height / look.body_height_m
    pelvis = sim.skeleton.points["pelvis"]
    if params.walk == "towards":  # the walk ends at the reference plane (the look's size)
        centre_x = float(pelvis[-1, 0])
        offset_px = look.horizontal_offset_frac * params.width
    elif params.walk == "across":
        pts = np.stack(list(sim.skeleton.points.values()), axis=1)
        centre_x = 0.5 * (float(pts[:, :, 0].min()) + float(pts[:, :, 0].max()))
        offset_px = 0.0
    else:
        centre_x = float(pelvis[:, 0].mean())
        offset_px = look.horizontal_offset_frac * params.width
    cam_height_m = scene.camera_height_frac * look.body_height_m
    free_px = params.height * (1.0 - height_frac)
    floor_y = params.height - free_px * (0.5 - 0.4 * look.vertical_offset_frac)
    origin = np.array([centre_x, cam_height_m, float(pelvis[:, 2].mean())])
    wall_m = TOWARDS_APPROACH_M + TOWARDS_WALL_GAP_M if params.walk == "towards" else WALL_BEHIND_M
    return Camera(view=params.view, origin_m=origin, px_per_m=px_per_m,
                  centre_px=(params.width / 2 + offset_px, floor_y - px_per_m * cam_height_m),
                  distance_m=scene.camera_distance_m, wall_behind_m=wall_m)


def contact_events(t_s: np.ndarray, clearance_m: np.ndarray) -> tuple[list[float], list[float]]:
    """Find the initial contacts and toe-offs of one foot from its clearance over time.

    Parameters
    ----------
    t_s : ndarray, shape (T,)
        Uniform sample times, s.
    clearance_m : ndarray, shape (T,)
        Height of the foot's lowest sole point above the floor, m.

    Returns
    -------
    initial_contact_s, toe_off_s : list of float
        Event times inside the clip (contacts already under way at the first sample, or
        still under way at the last, give no event there).

    """
    contact = clearance_m <= CONTACT_TOLERANCE_M
    dt = float(t_s[1] - t_s[0])
    min_len = max(1, int(round(MIN_EVENT_GAP_S / dt)))
    for value in (False, True):  # drop short flights, then short contacts
        runs = np.concatenate([[False], contact == value, [False]]).astype(int)
        edges = np.flatnonzero(np.diff(runs))
        for start, stop in zip(edges[::2], edges[1::2]):
            if stop - start < min_len and start > 0 and stop < len(contact):
                contact[start:stop] = not value
    change = np.diff(contact.astype(int))
    on = np.flatnonzero(change == 1) + 1
    off = np.flatnonzero(change == -1) + 1
    return [float(t_s[i]) for i in on], [float(t_s[i]) for i in off]


def _warp(px: np.ndarray, affines: np.ndarray | None) -> np.ndarray:
    """Apply per-frame 2x3 affine maps (T, 2, 3) to pixel points (T, 2)."""
    if affines is None:
        return px
    return np.einsum("tij,tj->ti", affines[:, :, :2], px) + affines[:, :, 2]


def _truth(params: PhantomParams, look: PhantomLook, sim: Simulation, cam: Camera,
           affines: np.ndarray | None = None) -> dict:
    frames = slice(None, None, OVERSAMPLE)
    sev = _severity_per_leg(params)
    t_frames = sim.t_s[frames]
    starts = sim.plan.cycle_starts_s
    index = np.arange(len(starts), dtype=float)
    strides: dict[str, dict] = {}
    for side in SIDES:
        begin, end = stride_spans_s(starts, side)
        if params.direction == "backward":  # stride spans in the reversed clip's time
            t_last = float(sim.t_s[-1])
            begin, end = (t_last - end)[::-1], (t_last - begin)[::-1]
            keep = (end > 0.0) & (begin < params.duration_s)
            present = sim.plan.posture_present[side][::-1][keep]
        else:
            keep = (end > 0.0) & (begin < params.duration_s)
            present = sim.plan.posture_present[side][keep]
        on, off = contact_events(sim.t_s, sim.clearance_m[side])
        strides[side] = {"start": begin[keep], "present": present, "on": on, "off": off}
    angles = sim.skeleton.angles
    joints_px = {
        side: {
            j: round_list(
                _warp(cam.project(sim.skeleton.points[f"{side}_{j}"][frames]), affines)
            )
            for j in TRUTH_JOINTS
        }
        for side in SIDES
    }
    per_leg = {
        "knee_flexion_deg": {s: round_list(angles[s].knee_flexion_deg[frames]) for s in SIDES},
        "ankle_plantarflexion_deg": {
            s: round_list(angles[s].ankle_plantarflexion_deg[frames]) for s in SIDES},
        "foot_inversion_deg": {s: round_list(angles[s].foot_inversion_deg[frames]) for s in SIDES},
        "toe_extension_deg": {
            s: round_list(sim.skeleton.toe_extension_deg[s][frames]) for s in SIDES
        },
        "dystonia_activation": {s: round_list(angles[s].activation[frames]) for s in SIDES},
    }
    duration = float(sim.t_s[-1] + sim.t_s[1])
    cycles = (np.interp(duration, starts, index) - np.interp(0.0, starts, index))
    near: str | None = NEAR_SIDE.get(params.view)
    return {
        "schema_version": TRUTH_SCHEMA_VERSION,
        "generator": "posescore.phantom",
        "params": params.model_dump(mode="json"),
        "look": look.model_dump(mode="json"),
        "affected_side": params.affected_side,
        "severity": {s: float(round(sev[s], 2)) for s in SIDES},
        "severity_class": {s: int(np.clip(np.floor(sev[s] + 0.5), 0, 4)) for s in SIDES},
        "view": params.view,
        "near_side": near,
        "cadence_steps_per_min": float(round(2.0 * 60.0 * cycles / duration, 2)),
        "heel_strike_s": {s: round_list(strides[s]["on"]) for s in SIDES},
        "toe_off_s": {s: round_list(strides[s]["off"]) for s in SIDES},
        "stride_start_s": {s: round_list(strides[s]["start"]) for s in SIDES},
        "stride_posture_present": {s: [bool(v) for v in strides[s]["present"]] for s in SIDES},
        "posture_fraction": {
            s: float(round(float(np.mean(strides[s]["present"])), 2))
            if len(strides[s]["present"]) else 0.0 for s in SIDES},
        "walk": {
            "mode": params.walk,
            "speed_m_s": float(round(float(sim.progression_m[-1] - sim.progression_m[0])
                                     / duration, 2)),
            "stride_amplitude_scale": sim.amplitude_scale,
            "progression_fraction": float(round(sim.progression_fraction, 2)),
        },
        "body_height_m": float(round(look.body_height_m, 2)),
        "px_per_m": float(round(cam.px_per_m, 2)),
        "frame_count": len(t_frames),
        "timestamps_s": round_list(t_frames),
        "joints_px": joints_px,
        **per_leg,
    }


def render_phantom(params: PhantomParams, out_path: str | Path) -> dict:
    """Render a phantom walking clip and its exact ground truth.

    Parameters
    ----------
    params : PhantomParams
        What to render (family 0 with no scene given renders the original phantom).
    out_path : str or Path
        Video file to write (MPEG-4 Part 2, ``mp4v``; stored rotated with a rotation tag
        when ``params.rotation_deg`` is set); the truth goes beside it as
        ``<stem>.truth.json``.

    Returns
    -------
    dict
        The ground truth (same as the sidecar): severities, events (``heel_strike_s`` holds
        initial contacts, toe strikes included), posture strides, per-frame joint pixels
        ``joints_px[side][joint]`` (upright display pixels, camera shake included) and
        per-frame angles in degrees (ankle plantarflexion positive, 0 with the foot
        perpendicular to the shank; ``toe_extension_deg`` is the total ball-joint extension
        including the normal roll-off in late stance); and the variation: ``family``,
        ``scene``, ``posture_mix`` and ``posture_amplitude``, ``video_format``, ``shake``,
        ``distractor`` (with per-frame boxes), ``occluder`` (per-frame rectangles),
        ``joints_occluded``, ``joints_in_frame`` and ``variation_tags``.

    Raises
    ------
    VideoError
        If the video file cannot be written (or a rotation is asked for without ffmpeg).

    """
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    look = params.resolved_look()
    scene = params.resolved_scene()
    mix = params.resolved_posture_mix()
    sim, frac = simulate_clip(params, look)
    cam = make_camera(params, look, sim, frac, scene)
    base = scene_background(look, scene, cam, params.width, params.height)
    n_frames = len(sim.t_s) // OVERSAMPLE + (len(sim.t_s) % OVERSAMPLE > 0)
    rng = np.random.default_rng([params.seed, _RNG_STREAM_NOISE])
    shake, affines = shake_path(n_frames, params.fps, scene, params.width, params.height,
                                np.random.default_rng([params.seed, _RNG_STREAM_SHAKE]))
    legacy = scene.is_legacy
    bystander = (make_bystander(scene.distractor, params, cam, frac, scene.camera_distance_m)
                 if scene.distractor is not None else None)
    noise_sigma = look.noise_sigma if scene.noise_sigma is None else scene.noise_sigma
    degrade = None if legacy else Degrader(scene, noise_sigma, params.width, params.height, rng)
    figure_px = frac * params.height
    floor_y = cam.centre_px[1] + cam.px_per_m * cam.origin_m[1]
    pelvis_px = cam.project(sim.skeleton.points["pelvis"])
    occ_rects: list[tuple[int, int, int, int] | None] = []
    with ClipWriter(out, params.fps, (params.width, params.height), params.rotation_deg,
                    params.bitrate_kbps) as writer:
        for k, i in enumerate(range(0, len(sim.t_s), OVERSAMPLE)):
            pts = {name: p[i] for name, p in sim.skeleton.points.items()}
            seg = {name: f[i] for name, f in sim.skeleton.frames.items()}
            canvas = base
            if bystander is not None:
                b_pts, b_seg = bystander.pose(i)
                canvas = draw_frame(base, bystander.cam, b_pts, b_seg,
                                    bystander.sim.dims, bystander.look)  # type: ignore[attr-defined]
            img = draw_frame(canvas, cam, pts, seg, sim.dims, look)
            rect = None
            if scene.occluder is not None:
                rect = occluder_rect(scene.occluder, k / params.fps, params.width, floor_y,
                                     figure_px, float(pelvis_px[i, 0]))
                if rect is not None:
                    draw_occluder(img, scene.occluder, rect)
            occ_rects.append(rect)
            if degrade is None:
                if noise_sigma > 0:
                    noise = rng.standard_normal(img.shape, dtype=np.float32) * noise_sigma
                    img = np.clip(img + noise + 0.5, 0, 255).astype(np.uint8)
            else:
                img = degrade(img, affines[k])
            writer.write(img)
    truth = _truth(params, look, sim, cam, None if legacy else affines)
    pts = np.stack(list(sim.skeleton.points.values()), axis=1)[::OVERSAMPLE]
    truth.update(variation_truth(params, look, scene, mix, sim.plan.expression, cam.project(pts),
                                 cam, truth, shake, bystander, occ_rects, OVERSAMPLE))
    out.with_suffix(".truth.json").write_text(json.dumps(truth), encoding="utf-8")
    logger.debug("phantom written: %d frames", truth["frame_count"])
    return truth


def phantom_name(params: PhantomParams) -> str:
    """Default file stem of a phantom clip."""
    backward = "_backward" if params.direction == "backward" else ""
    return (f"phantom_{params.affected_side}_s{params.severity:g}_{params.view}_{params.walk}"
            f"{backward}_seed{params.seed}" + (f"_f{params.family}" if params.family else ""))


def generate_set(out_dir: str | Path, specs: Iterable[PhantomParams]) -> list[Path]:
    """Render every spec into ``out_dir`` (named by ``phantom_name``); returns the video paths."""
    out = Path(out_dir)
    paths = []
    for params in specs:
        path = out / f"{phantom_name(params)}.mp4"
        render_phantom(params, path)
        paths.append(path)
    return paths


def build_phantom_specs(
    n_videos: int,
    seed: int = 0,
    views: Sequence[PhantomView] = ("sagittal_left", "sagittal_right", "frontal"),
    healthy_fraction: float = 1 / 3,
    across_fraction: float = 0.0,
    **clip: float,
) -> list[PhantomParams]:
    """Draw a varied set of clip parameters: sides, severities 0.3-4, views and seeds.

    Parameters
    ----------
    n_videos : int
        Number of specs.
    seed : int
        Seed of the draw; clip seeds are ``seed * 100000 + i``.
    views : sequence
        Views drawn uniformly.
    healthy_fraction : float
        Share of clips with no affected leg.
    across_fraction : float
        Share of sagittal clips that walk across the frame.
    **clip
        Passed to every spec (``fps``, ``duration_s``, ``width``, ``height``).

    """
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(n_videos):
        healthy = rng.random() < healthy_fraction
        side = "none" if healthy else ("left", "right")[int(rng.integers(2))]
        view = views[int(rng.integers(len(views)))]
        across = view.startswith("sagittal") and rng.random() < across_fraction
        specs.append(PhantomParams(
            affected_side=side,
            severity=0.0 if healthy else round(float(rng.uniform(0.3, 4.0)), 2),
            view=view,
            seed=seed * 100_000 + i,
            walk="across" if across else "in_place",
            **clip,
        ))
    return specs
