"""A bystander: a second, healthy walker further back in the scene, drawn behind the subject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from posescore.constants import SIDES
from posescore.phantom.families import draw_family_look
from posescore.phantom.look import PhantomLook
from posescore.phantom.params import PhantomParams, PhantomView
from posescore.phantom.render import Camera
from posescore.phantom.scene import wall_base_y
from posescore.phantom.simulation import Simulation, simulate
from posescore.phantom.variation import Distractor

_FACING_VIEW: dict[str, PhantomView] = {
    "left": "sagittal_left", "right": "sagittal_right", "camera": "frontal"}
BYSTANDER_FAMILY = 5
"""Family whose look distribution dresses the bystander."""


@dataclass(frozen=True)
class Bystander:
    """Simulated bystander with its own camera mapping; ``hold`` = frame index when standing."""

    spec: Distractor
    sim: Simulation
    cam: Camera
    look: PhantomLook
    hold: Optional[int]

    def pose(self, fine_index: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Joint positions and segment frames at a fine-grid sample (held when standing)."""
        i = self.hold if self.hold is not None else fine_index
        sk = self.sim.skeleton
        return ({n: p[i] for n, p in sk.points.items()},
                {n: f[i] for n, f in sk.frames.items()})

    def bbox_px(self, fine_index: int, width: int, height: int) -> Optional[list[float]]:
        """Image box of the bystander's joints (clipped to the frame), None when outside."""
        pts, _ = self.pose(fine_index)
        px = self.cam.project(np.stack(list(pts.values())))
        pad = 0.08 * (px[:, 1].max() - px[:, 1].min())
        x0, y0 = px.min(0) - pad
        x1, y1 = px.max(0) + pad
        if x1 < 0 or y1 < 0 or x0 >= width or y0 >= height:
            return None
        return [round(float(max(x0, 0)), 1), round(float(max(y0, 0)), 1),
                round(float(min(x1, width - 1)), 1), round(float(min(y1, height - 1)), 1)]


def make_bystander(spec: Distractor, params: PhantomParams, cam: Camera, height_frac: float,
                   scene_distance_m: float) -> Bystander:
    """Simulate the bystander and place it between the subject and the back wall.

    Its image height is ``spec.size_ratio`` of the subject's; its feet stand between the
    subject's floor line and the wall's base accordingly, so it looks further away.
    """
    view = _FACING_VIEW[spec.facing]
    walk = "across" if spec.mode == "walk_across" and view != "frontal" else "in_place"
    look = draw_family_look(spec.seed, BYSTANDER_FAMILY)
    bparams = PhantomParams(seed=spec.seed, view=view, walk=walk, fps=params.fps,
                            duration_s=params.duration_s, width=params.width,
                            height=params.height, look=look)
    sim = simulate(bparams, look)
    px_per_m = spec.size_ratio * height_frac * params.height / look.body_height_m
    floor_main = cam.centre_px[1] + cam.px_per_m * cam.origin_m[1]
    base = wall_base_y(cam, params.height)
    r_wall = cam.distance_m / (cam.distance_m + cam.wall_behind_m)
    t = float(np.clip((spec.size_ratio - r_wall) / (1.0 - r_wall), 0.08, 1.0))
    floor_y = base + t * (floor_main - base)
    pelvis = sim.skeleton.points["pelvis"]
    cam_h = 0.55 * look.body_height_m
    origin = np.array([0.5 * (float(pelvis[:, 0].min()) + float(pelvis[:, 0].max())), cam_h,
                       float(pelvis[:, 2].mean())])
    bcam = Camera(view=view, origin_m=origin, px_per_m=px_per_m,
                  centre_px=(params.width / 2 + spec.x_frac * params.width,
                             floor_y - px_per_m * cam_h),
                  distance_m=scene_distance_m)
    hold = None
    if spec.mode == "standing":  # both feet nearest the floor
        both = sum(sim.clearance_m[s] for s in SIDES)
        hold = int(np.argmin(both))
    return Bystander(spec=spec, sim=sim, cam=bcam, look=look, hold=hold)
