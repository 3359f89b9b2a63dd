"""Choosing the person of interest: box maths on arrays, then phantom videos with bystanders."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posescore.config import ExecutionConfig, PoseConfig, Settings, SubjectConfig
from posescore.pose import extract_pose, extractor_version
from posescore.pose.boxes import box_iou, merge_detections
from posescore.pose.linking import (
    hidden_behind,
    link_detections,
    score_tracks,
    track_motion,
    without_pauses,
)
from posescore.pose.people import detect_people, landmark_detections, one_person, sample_stride
from posescore.pose.subject import (
    SubjectTrack,
    choose_subject,
    crop_boxes,
    off_track,
    select_subject,
)
from posescore.video import probe_video

W, H = 640, 480
DURATION_S = 3.2


# --- pure functions -----------------------------------------------------------------------


def _walker(times_s, x0_px, speed_px_s, height_px, foot_y_px=440.0):
    """Boxes of a person of a given height walking horizontally, shape (K, 4)."""
    cx = x0_px + speed_px_s * np.asarray(times_s)
    half_w = 0.2 * height_px
    return np.stack(
        [cx - half_w, np.full_like(cx, foot_y_px - height_px), cx + half_w,
         np.full_like(cx, foot_y_px)], axis=1)


def test_box_iou():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 50 / 150, 0.0]])


def test_merge_prefers_primary_boxes():
    primary = np.array([[100, 100, 200, 400]])
    secondary = np.array([[90, 90, 210, 420], [400, 100, 500, 400]])
    merged = merge_detections(primary, secondary)
    np.testing.assert_array_equal(merged[:, :4], [[100, 100, 200, 400], [400, 100, 500, 400]])
    assert np.isnan(merged[:, 4:]).all()  # boxes alone carry no ankle gap
    assert merge_detections(np.empty((0, 4)), secondary).shape == (2, 6)
    with_gap = np.array([[100, 100, 200, 400, 0.3, 0.05]])
    np.testing.assert_array_equal(merge_detections(with_gap, secondary)[0], with_gap[0])


def test_link_two_walkers_through_a_gap():
    t = np.arange(12) / 3.0
    a = _walker(t, 100, 60, 300)
    b = _walker(t, 560, -10, 180, foot_y_px=400)
    dets = [np.stack([a[k], b[k]]) if k != 5 else b[k][None] for k in range(12)]
    tracks = link_detections(t, dets, max_distance_box_heights=0.75, max_gap_s=1.0)
    assert tracks.shape == (2, 12, 6)
    np.testing.assert_allclose(tracks[0][[0, 4, 6, 11], :4], a[[0, 4, 6, 11]])
    assert np.isnan(tracks[0][5]).all()
    np.testing.assert_allclose(tracks[1, :, :4], b)


def test_link_starts_new_track_after_long_gap():
    t = np.arange(10) / 2.0
    a = _walker(t, 300, 0, 300)
    dets = [a[k][None] if k < 3 or k > 7 else np.empty((0, 4)) for k in range(10)]
    tracks = link_detections(t, dets, max_distance_box_heights=0.75, max_gap_s=1.0)
    assert len(tracks) == 2


def test_score_prefers_persistent_then_large_then_central():
    t = np.arange(12) / 3.0
    subject = _walker(t, 250, 10, 300)
    partial = _walker(t, 330, 0, 340)  # taller and more central, but only 4 of 12 samples
    partial[4:] = np.nan
    small = _walker(t, 560, 0, 180)
    scores = score_tracks(np.stack([subject, partial, small]), W)
    assert np.argmax(scores) == 0
    assert scores[2] < scores[0]


def _stepping(times_s, boxes, gap_x_range, gap_y_range, seed=0):
    """Detections (K, 6): the boxes with ankle gaps swinging over the given ranges."""
    phase = 2 * np.pi * 0.9 * np.asarray(times_s) + np.random.default_rng(seed).uniform(0, 6)
    swing = 0.5 + 0.5 * np.sin(phase)
    return np.column_stack([boxes, 0.05 + gap_x_range * swing, gap_y_range * swing])


def test_track_motion_reads_walking_across_towards_and_in_place_but_not_standing():
    t = np.arange(18) / 3.0
    standing = _stepping(t, _walker(t, 500, 0, 300), 0.01, 0.01)
    across = _walker(t, 100, 60, 300)  # boxes only (HOG): 360 px = 1.2 box heights
    towards = _walker(t, 300, 0, 1.0)
    towards[:, 1] = 440 - np.linspace(150, 300, len(t))  # grows to twice its height
    side_in_place = _stepping(t, _walker(t, 300, 0, 300), 0.30, 0.02)
    front_in_place = _stepping(t, _walker(t, 300, 0, 300), 0.01, 0.10)
    motion = track_motion(np.stack([standing, as6(across), as6(towards), side_in_place,
                                    front_in_place]))
    assert motion[0] < 0.03
    centre_x = (across[:, 0] + across[:, 2]) / 2
    assert motion[1] == pytest.approx(np.ptp(np.percentile(centre_x, [10, 90])) / 300)
    assert motion[1] > 0.8  # 10th-90th percentile range of a 1.13 box heights walk
    assert 0.3 < motion[2] < np.log(2) - np.log(1.2)  # less the boxes' own size jitter
    assert motion[3] > 0.2 and 0.07 < motion[4] < 0.15
    few = standing.copy()
    few[2:] = np.nan  # seen twice: too few samples to tell
    assert track_motion(few[None])[0] == 0.0
    assert track_motion(np.empty((0, 18, 6))).shape == (0,)


def as6(boxes):
    return np.column_stack([boxes, np.full((len(boxes), 2), np.nan)])


def test_a_walker_is_chosen_over_a_larger_standing_person():
    """A clinician standing still near the camera is taller and as persistent as the patient
    walking across behind; only walking tells them apart."""
    t = np.arange(18) / 3.0
    standing = _stepping(t, _walker(t, 400, 0, 360), 0.01, 0.01)
    walker = _stepping(t, _walker(t, 20, 60, 300), 0.30, 0.02)
    dets = [np.stack([standing[k], walker[k]]) for k in range(len(t))]
    chosen = choose_subject(t, dets, W, H, SubjectConfig())
    np.testing.assert_allclose(chosen.boxes_px, walker[:, :4])
    still = choose_subject(t, dets, W, H, SubjectConfig(walking_weight=0.0))
    np.testing.assert_allclose(still.boxes_px, standing[:, :4])  # as before the cue
    # a patient walking in place (frontal view: only the feet lift) beats the standing one too
    in_place = _stepping(t, _walker(t, 200, 0, 320), 0.01, 0.10)
    dets = [np.stack([standing[k], in_place[k]]) for k in range(len(t))]
    np.testing.assert_allclose(
        choose_subject(t, dets, W, H, SubjectConfig()).boxes_px, in_place[:, :4])


def test_a_person_passing_behind_another_is_hidden_not_absent():
    t = np.arange(12) / 3.0
    near = _walker(t, 320, 0, 400)  # standing near the camera, box x 240-400
    walker = _walker(t, 60, 120, 300)  # centre crosses x 240-400 at samples 5-8
    walker[5:9] = np.nan  # not detected while behind
    late = _walker(t, 560, 0, 200)
    late[:3] = np.nan  # enters late: absent, not hidden
    hidden = hidden_behind(np.stack([near, walker, late]))
    assert hidden[1].tolist() == [k in (5, 6, 7, 8) for k in range(12)]
    assert not hidden[0].any() and not hidden[2].any()
    assert not hidden_behind(walker[None]).any()  # nobody to hide behind


def _track(times_s, boxes, people=2, method="detected"):
    return SubjectTrack(times_s=np.asarray(times_s, float), boxes_px=np.asarray(boxes, float),
                        people_seen=people, method=method, width_px=W, height_px=H)


def test_choose_subject_and_roi_override():
    t = np.arange(12) / 3.0
    subject, bystander = _walker(t, 250, 10, 300), _walker(t, 560, 0, 180)
    dets = [np.stack([subject[k], bystander[k]]) for k in range(12)]
    auto = choose_subject(t, dets, W, H, SubjectConfig())
    assert auto.method == "detected" and auto.people_seen == 2 and auto.needs_crop
    np.testing.assert_allclose(auto.boxes_px, subject)
    roi = choose_subject(t, dets, W, H, SubjectConfig(roi=(480, 150, 640, 480)))
    assert roi.method == "roi"
    np.testing.assert_allclose(roi.boxes_px, bystander)
    empty = choose_subject(t, [np.empty((0, 4))] * 12, W, H, SubjectConfig(roi=(10, 20, 110, 220)))
    assert empty.method == "roi-fixed" and empty.box_at(1.0) == (10, 20, 110, 220)
    assert choose_subject(t, [np.empty((0, 4))] * 12, W, H, SubjectConfig()) is None


def test_single_person_needs_no_crop():
    t = np.arange(6) / 3.0
    single = choose_subject(t, [b[None] for b in _walker(t, 300, 0, 300)], W, H, SubjectConfig())
    assert single.people_seen == 1 and not single.needs_crop


def test_box_at_interpolates_and_holds_ends():
    track = _track([0.0, 1.0, 2.0], [[0, 0, 10, 20], [np.nan] * 4, [20, 10, 30, 30]])
    assert track.box_at(1.0) == (10.0, 5.0, 20.0, 25.0)
    assert track.box_at(-1.0) == (0.0, 0.0, 10.0, 20.0)
    assert track.box_at(5.0) == (20.0, 10.0, 30.0, 30.0)
    assert track.summary()["samples_seen"] == 2


def test_crop_boxes_stable_size_inside_frame():
    t = np.arange(12) / 3.0
    boxes = _walker(t, 80, 120, 300)
    boxes[::2, 1] -= 10  # jittery box heights
    track = _track(t, boxes)
    frame_t = np.arange(0, 4, 1 / 30)
    crops = crop_boxes(track, frame_t, margin_box_heights=0.25, window_s=1.0)
    assert crops.dtype.kind == "i"
    assert (crops[:, :2] >= 0).all() and (crops[:, 2] <= W).all() and (crops[:, 3] <= H).all()
    heights = crops[:, 3] - crops[:, 1]
    assert np.all(heights == round(1.5 * 310))  # largest jittered box in the window
    widths = crops[:, 2] - crops[:, 0]
    assert widths.min() >= (0.4 + 0.5) * 300 - 1  # box width + 2 margins
    assert np.abs(np.diff(crops[:, 0])).max() <= 10  # follows the walker smoothly
    inside = (crops[:, 0] <= track.boxes_at(frame_t)[:, 0] + 1)
    assert inside[frame_t > 0.5].all()


def test_off_track():
    boxes = np.tile([100.0, 100.0, 200.0, 400.0], (3, 1))
    hips = np.array([[150.0, 260.0], [150.0 + 200.0, 250.0], [np.nan, np.nan]])
    np.testing.assert_array_equal(off_track(hips, boxes, 0.5), [False, True, False])


def test_one_person_needs_one_linked_track_and_never_two_at_once():
    t = np.arange(12) / 3.0
    walker = _walker(t, 100, 60, 300)
    cfg = SubjectConfig()
    assert one_person(t, [b[None] for b in walker], cfg)
    unseen = [b[None] if k % 4 else np.empty((0, 4)) for k, b in enumerate(walker)]
    assert one_person(t, unseen, cfg)  # short gaps: still one track
    jump = walker.copy()
    jump[6:, [0, 2]] += 400  # the box jumps to someone else
    assert not one_person(t, [b[None] for b in jump], cfg)
    two = [b[None] for b in walker]
    two[3] = np.stack([walker[3], _walker(t, 560, 0, 180)[3]])
    assert not one_person(t, two, cfg)
    assert not one_person(t, [np.empty((0, 4))] * 12, cfg)


def test_a_tracked_walker_is_taken_as_found_and_anything_else_is_screened(monkeypatch):
    import posescore.pose.people as people

    t = np.arange(12) / 3.0
    frames = [np.zeros((H, W, 3), np.uint8)] * len(t)
    walker = as6(_walker(t, 100, 30, 300))
    walker[0, :2] = -5.0  # joints predicted off the picture: clipped as when screened
    screened = []

    def screen(frames, detector, width, height, priors):
        screened.append(priors)
        return [np.empty((0, 6)) if p is None else p[None] for p in priors]

    monkeypatch.setattr(people, "screen_frames", screen)
    found = people.detect_frames(t, frames, W, H, SubjectConfig(), list(walker))
    assert screened == [] and found.detectors == ("mediapipe",)
    assert found.boxes[0][0, 0] == 0.0 and found.boxes[0][0, 2] == walker[0, 2]
    np.testing.assert_array_equal(found.boxes[5][0, :4], walker[5, :4])
    jump = walker.copy()
    jump[6:, [0, 2]] += 400  # the tracker moved to someone else
    standing = as6(_walker(t, 300, 0, 300))  # the tracker held a bystander standing still
    lost = [*walker[:11], None]  # nobody tracked at the last sample
    for tracked in (list(jump), list(standing), lost):
        people.detect_frames(t, frames, W, H, SubjectConfig(), tracked)
        assert screened.pop() is tracked


def test_landmark_detections_box_and_ankle_gap_none_where_no_body():
    lm = np.zeros((3, 33, 4))
    lm[:, :, 0] = np.linspace(100, 140, 33)
    lm[:, :, 1] = np.linspace(50, 250, 33)
    lm[:, :, 3] = 0.9
    lm[1] = np.nan
    lm[2, 28, 3] = 0.1  # right ankle not visible: no gap
    first, second, third = landmark_detections(lm)
    assert second is None
    height = 250 - (50 - 24)
    gap = (np.abs(lm[0, 28, :2] - lm[0, 27, :2])) / height
    np.testing.assert_allclose(first, [100 - 16, 50 - 24, 140 + 16, 250, *gap])
    assert np.isnan(third[4:]).all() and not np.isnan(third[:4]).any()


def test_sample_stride():
    assert sample_stride(30.0, 300, 3.0, 40) == 10
    assert sample_stride(30.0, 3000, 3.0, 40) == 75


def test_subject_settings_enter_cache_key():
    base = extractor_version(PoseConfig())
    assert extractor_version(PoseConfig(), SubjectConfig(roi=(0, 0, 10, 10))) != base
    assert "subject=off" in extractor_version(PoseConfig(), SubjectConfig(enabled=False))
    with pytest.raises(ValueError):
        SubjectConfig(roi=(10, 0, 5, 10))


# --- phantom videos with a bystander (MediaPipe: slow) --------------------------------------


def _read_all(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


KEY_BGR = (0, 255, 0)


def keyed_params(seed, width, height, **kw):
    """Phantom params whose scene is chroma-key green without noise (to cut the figure out)."""
    from posescore.phantom import PhantomParams, draw_look

    look = draw_look(seed).model_copy(update=dict(
        wall_top_bgr=KEY_BGR, wall_bottom_bgr=KEY_BGR, floor_bgr=KEY_BGR, noise_sigma=0.0,
        **kw.pop("look", {})))
    return PhantomParams(seed=seed, width=width, height=height, look=look, **kw)


def _figure_masks(frames):
    """Pixels of the figure (not green scene or its shadow), per frame."""
    masks = []
    for frame in frames:
        hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
        green = (np.abs(hsv[..., 0].astype(int) - 60) < 12) & (hsv[..., 1] > 150)
        masks.append(~green)
    return masks


def composite(subject_path, bystander_path, out_path, right_px, bottom_px, visible=(0.0, 1.0),
              frozen=False):
    """Paste the keyed bystander phantom's figure into the subject's clip.

    The bystander's figure (union box over the clip) is placed with its right edge at
    ``right_px`` and its bottom at ``bottom_px``, only in the ``visible`` share of the clip;
    ``frozen``: its first frame throughout (a person standing still).
    """
    base = _read_all(subject_path)
    other = _read_all(bystander_path)
    masks = _figure_masks(other)
    ys, xs = np.nonzero(np.any(np.stack(masks), axis=0))
    dx, dy = right_px - xs.max(), bottom_px - ys.max()
    n = len(base)
    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (W, H))
    for k, frame in enumerate(base):
        out = frame.copy()
        if visible[0] * n <= k < visible[1] * n:
            j = 0 if frozen else k % len(other)
            yy, xx = np.nonzero(masks[j])
            ty, tx = yy + dy, xx + dx
            keep = (ty >= 0) & (ty < H) & (tx >= 0) & (tx < W)
            out[ty[keep], tx[keep]] = other[j][yy[keep], xx[keep]]
        writer.write(out)
    writer.release()
    return out_path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from posescore.phantom import PhantomParams, draw_look, render_phantom

    out = tmp_path_factory.mktemp("subject")
    common = dict(fps=25.0, duration_s=DURATION_S, view="sagittal_right")
    subject = out / "subject.mp4"
    truth = render_phantom(PhantomParams(seed=31, width=W, height=H, **common), subject)
    small = out / "small.mp4"
    render_phantom(keyed_params(32, 400, 300, **common), small)
    big = out / "big.mp4"
    render_phantom(keyed_params(33, W, H, look={"body_height_frac": 0.85}, **common), big)
    hip_x = np.asarray(truth["joints_px"]["right"]["hip"])[:, 0]
    across = out / "across.mp4"
    across_look = draw_look(31).model_copy(update={"body_height_frac": 0.55})
    longer = {**common, "duration_s": 5.0}
    across_truth = render_phantom(
        PhantomParams(seed=31, width=W, height=H, walk="across", look=across_look, **longer),
        across)
    near = out / "near.mp4"
    render_phantom(keyed_params(
        33, W, H, look={"body_height_frac": 0.85}, **{**longer, "view": "frontal"}), near)
    return {
        "truth": truth,
        "across_truth": across_truth,
        # a taller person standing still near the camera; the subject walks across behind
        "standing": composite(across, near, out / "standing.mp4", 560, H - 5, frozen=True),
        "single": subject,
        "two": composite(subject, small, out / "two.mp4", W - 5, 450),
        "overlap": composite(subject, small, out / "overlap.mp4", int(hip_x.max()) + 200, 450),
        # a larger passer-by at the frame edge in the last 40 %
        "partial": composite(subject, big, out / "partial.mp4", W + 40, H - 5, visible=(0.6, 1.0)),
        # a larger bystander beside the subject in the first 45 % (static detection alone
        # finds both)
        "early": composite(subject, big, out / "early.mp4", 250, H - 5, visible=(0.0, 0.45)),
    }


def _subject_region(truth, margin_px=40.0):
    """Box around the subject's true joints over the whole clip, pixels."""
    pts = np.concatenate(
        [np.asarray(truth["joints_px"][s][j])[:, :2] for s in ("left", "right")
         for j in ("hip", "knee", "ankle", "heel", "toe")])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return x0 - margin_px, y0 - 4 * margin_px, x1 + margin_px, y1 + margin_px


def _centre_in(box, region):
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["two", "overlap"])
def test_subject_chosen_beside_bystander(clips, name):
    track = select_subject(probe_video(clips[name]), SubjectConfig())
    assert track.people_seen == 2 and track.method == "detected" and track.needs_crop
    region = _subject_region(clips["truth"])
    assert all(_centre_in(track.box_at(t), region) for t in np.arange(0.2, DURATION_S - 0.2, 0.3))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["partial", "early"])
def test_partial_bystander_not_chosen(clips, name):
    track = select_subject(probe_video(clips[name]), SubjectConfig())
    assert track.people_seen >= 2
    region = _subject_region(clips["truth"])
    assert all(_centre_in(track.box_at(t), region) for t in np.arange(0.2, DURATION_S - 0.2, 0.3))


@pytest.mark.slow
def test_walker_chosen_over_a_taller_person_standing_still(clips, tmp_path):
    """Without the walking cue the standing person (taller, as persistent) was chosen."""
    walker_height_px = 0.55 * H
    still = select_subject(probe_video(clips["standing"]), SubjectConfig(walking_weight=0.0))
    x0, y0, x1, y1 = still.summary()["box_median_px"]
    assert y1 - y0 > 1.4 * walker_height_px  # the standing person
    pose, _ = extract_pose(clips["standing"], _settings(tmp_path))
    assert pose.subject["people_seen"] == 2 and pose.subject["cropped"]
    x0, y0, x1, y1 = pose.subject["box_median_px"]
    assert y1 - y0 < 1.25 * walker_height_px
    truth_hip = np.asarray(clips["across_truth"]["joints_px"]["right"]["hip"])[: pose.n_frames]
    err_px = np.linalg.norm(pose.landmarks[:, 24, :2] - truth_hip[:, :2], axis=1)
    assert np.nanmedian(err_px) < 25.0  # tracked the walker, not the one standing


@pytest.mark.slow
def test_user_roi_overrides(clips):
    roi = (460, 150, W, H)
    track = select_subject(probe_video(clips["two"]), SubjectConfig(roi=roi))
    assert track.method == "roi"
    assert _centre_in(track.box_at(2.0), roi)
    assert not _centre_in(track.box_at(2.0), _subject_region(clips["truth"]))


@pytest.mark.slow
def test_single_person_not_cropped(clips):
    track = select_subject(probe_video(clips["single"]), SubjectConfig())
    assert track.people_seen == 1 and not track.needs_crop


@pytest.mark.slow
def test_hog_runs_only_when_mediapipe_is_not_sure(clips):
    single = detect_people(probe_video(clips["single"]), SubjectConfig())
    assert single.detectors == ("mediapipe",)
    assert all(len(b) == 1 for b in single.boxes)
    two = detect_people(probe_video(clips["two"]), SubjectConfig())
    assert two.detectors == ("mediapipe", "hog")
    every = detect_people(probe_video(clips["single"]), SubjectConfig(screen_first=False))
    assert every.detectors == ("mediapipe", "hog")


def _settings(cache_dir, enabled=True):
    return Settings(
        execution=ExecutionConfig(cache_dir=cache_dir), subject=SubjectConfig(enabled=enabled)
    )


@pytest.mark.slow
def test_pose_on_two_person_clip_stays_on_subject(clips, tmp_path):
    """Whether the tracker stays on the subject (no search for others, no crop pass) or the
    samples are screened and the clip tracked again in crops, the pose is the subject's."""
    pose, _ = extract_pose(clips["early"], _settings(tmp_path))
    assert pose.subject["method"] == "detected"
    detected = pose.detected()
    assert detected.mean() > 0.8
    hips = pose.landmarks[detected][:, [23, 24], :2].mean(axis=1)
    x0, y0, x1, y1 = _subject_region(clips["truth"])
    inside = (hips[:, 0] >= x0) & (hips[:, 0] <= x1) & (hips[:, 1] >= y0) & (hips[:, 1] <= y1)
    assert inside.mean() >= 0.9
    truth_hip = np.asarray(clips["truth"]["joints_px"]["right"]["hip"])[: pose.n_frames, :2]
    err_px = np.linalg.norm(pose.landmarks[:, 24, :2] - truth_hip, axis=1)
    assert np.nanmedian(err_px) < 25.0


@pytest.mark.slow
def test_single_person_pose_unchanged(clips, tmp_path):
    on, _ = extract_pose(clips["single"], _settings(tmp_path / "on"))
    off, _ = extract_pose(clips["single"], _settings(tmp_path / "off", enabled=False))
    assert on.subject["people_seen"] == 1 and not on.subject["cropped"]
    assert on.subject["detectors"] == ["mediapipe"]  # screened: HOG never ran
    np.testing.assert_array_equal(on.landmarks, off.landmarks)


def test_the_choice_of_subject_is_reported():
    from posescore.score import subject_warning

    box = [10.0, 20.0, 110.0, 320.0]
    assert subject_warning({}) is None
    assert subject_warning({"method": "detected", "people_seen": 1, "box_median_px": box}) is None
    several = subject_warning({"method": "detected", "people_seen": 3, "box_median_px": box})
    assert several.code == "several_people" and several.stage == "pose"
    assert several.message.startswith("3 people were seen") and "--roi" in several.message
    assert "10, 20, 110, 320 px" in several.message
    chosen = subject_warning({"method": "roi", "people_seen": 2, "box_median_px": box})
    assert chosen.code == "person_in_region" and "given region" in chosen.message
    assert subject_warning({"method": "roi-fixed", "people_seen": 0}).code == "nobody_in_region"


def test_a_pause_in_the_recording_does_not_split_a_person_in_two():
    """Samples at 2 Hz with 3 s unfilmed in the middle: one walker, one track."""
    times = np.r_[np.arange(0.0, 3.0, 0.5), np.arange(6.0, 9.0, 0.5)]
    box = np.array([[100.0, 50.0, 160.0, 250.0]])
    tracks = link_detections(times, [box + [5 * k, 0, 5 * k, 0] for k in range(len(times))],
                             1.0, max_gap_s=2.0)
    assert len(tracks) == 1
    np.testing.assert_allclose(without_pauses(times)[6] - without_pauses(times)[5], 0.5)
    # a person who really was not seen for 3 s (samples without them) still ends a track
    empty = np.empty((0, 4))
    seen = [box if k < 6 or k >= 12 else empty for k in range(18)]
    assert len(link_detections(np.arange(18) * 0.5, seen, 1.0, max_gap_s=2.0)) == 2
