"""Pose landmarks and scores of the sample videos, saved by one checkout, compared by another.

    PYTHONPATH=OLD python bench/pose_identity.py save before.npz
    PYTHONPATH=NEW python bench/pose_identity.py compare before.npz

For a change that must not change the pose (e.g. how frames are read): every sample video is
scored with an empty pose cache with the default settings; the first video also with a
region of interest (the subject-sampling and crop passes), and copies of one sample with its
first 45 frames changed (``changed_clips``, written once into ``--clips``): dimmed (the body
is found only from frame 45: the backfill pass) and with the top half blanked (bodies come
and go: subject selection in the tracking pass, then the crop pass). ``compare`` checks
that the landmark arrays and time stamps are bit-identical and the score JSONs (timings,
version and cache flag left out) equal; both print the passes (crop, backfill) each case
went through (``PoseSequence.subject``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VOLATILE = ("timings", "pose_from_cache", "posescore_version")


CHANGED_FRAMES = 45
"""First frames of the sample changed in ``changed_clips``."""


def _top_blanked(frame: np.ndarray) -> np.ndarray:
    frame[: frame.shape[0] // 2] = 128
    return frame


def changed_clips(folder: Path) -> list[Path]:
    """Copies of a sample with its first frames dimmed or half blanked (written if missing)."""
    import cv2

    sample = ROOT / "sample_videos" / "right_s3_sagittal_right.mp4"
    out = []
    for name, change in (("dim", lambda f: (f * 0.08).astype(np.uint8)),
                         ("top", _top_blanked)):
        path = folder / f"start_{name}.mp4"
        out.append(path)
        if path.exists():
            continue
        cap = cv2.VideoCapture(str(sample))
        fps, size = cap.get(cv2.CAP_PROP_FPS), (int(cap.get(3)), int(cap.get(4)))
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        k = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            writer.write(change(frame) if k < CHANGED_FRAMES else frame)
            k += 1
        cap.release()
        writer.release()
    return out


def cases(clips: Path) -> list[tuple[str, Path, dict]]:
    """(name, video, settings sections to update) of every case."""
    videos = sorted((ROOT / "sample_videos").glob("*.mp4"))
    out = [(v.stem, v, {}) for v in videos]
    out.append((videos[0].stem + "+roi", videos[0], {"subject": {"roi": (0, 0, 400, 480)}}))
    out += [(v.stem, v, {}) for v in changed_clips(clips)]
    return out


def run(cache: Path, clips: Path) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """Landmarks, times and score JSON of every case, computed with an empty cache."""
    from posescore.config import Settings
    from posescore.model_file import load_model
    from posescore.score import score_video

    model = load_model()
    arrays, scores = {}, {}
    base = Settings()
    for name, video, update in cases(clips):
        update = {**update, "execution": {"use_cache": False, "cache_dir": cache}}
        settings = base.model_copy(update={
            key: getattr(base, key).model_copy(update=value) for key, value in update.items()
        })
        scored = score_video(video, settings, model=model)
        pose = scored.traces.pose
        arrays[name + "/landmarks"] = pose.landmarks
        arrays[name + "/times"] = pose.timestamps_s
        js = {k: v for k, v in scored.to_model().to_json().items() if k not in VOLATILE}
        scores[name] = {"score": js, "subject": pose.subject}
        passes = {k: v for k, v in pose.subject.items()
                  if k.startswith("frames_") or k == "cropped"}
        print(name, passes, flush=True)
    return arrays, scores


def main() -> int:
    """Save or compare."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=("save", "compare"))
    ap.add_argument("file", type=Path)
    ap.add_argument("--clips", type=Path, default=Path(tempfile.gettempdir()) / "pose_identity",
                    help="folder of the clips with a gap (the same for save and compare)")
    args = ap.parse_args()
    args.clips.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        arrays, scores = run(Path(tmp), args.clips)
    blob = json.dumps(scores, sort_keys=True, default=str)
    if args.action == "save":
        np.savez_compressed(args.file, scores=np.array(blob), **arrays)
        return 0
    ref = np.load(args.file)
    bad = [k for k in arrays if not np.array_equal(arrays[k], ref[k], equal_nan=True)]
    same_scores = json.loads(str(ref["scores"])) == json.loads(blob)
    print(f"{len(arrays) - len(bad)} of {len(arrays)} arrays bit-identical; "
          f"scores {'identical' if same_scores else 'DIFFER'}")
    for k in bad:
        print("DIFFERS:", k)
    return 0 if not bad and same_scores else 1


if __name__ == "__main__":
    sys.exit(main())
