"""Sample videos score the same with the compiled model as with scikit-learn's (slow)."""

from pathlib import Path

import pytest

from posescore.model import LegSeverityModel
from posescore.model_file import load_model
from posescore.predictor import CompiledSeverityModel
from posescore.score import score_video

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
RUN_ONLY = ("timings", "pose_from_cache")
"""Output keys that describe the run, not the video."""


@pytest.mark.parametrize("clip", ["left_s2_sagittal_left.mp4", "right_s4_frontal.mp4"])
def test_the_whole_output_is_identical_with_and_without_the_compiled_model(clip):
    compiled, fitted = load_model(), load_model(compiled=False)
    assert isinstance(compiled.estimator, CompiledSeverityModel)
    assert isinstance(fitted.estimator, LegSeverityModel)
    outputs = []
    for model in (compiled, fitted):
        out = score_video(SAMPLES / clip, model=model).to_dict()
        outputs.append({k: v for k, v in out.items() if k not in RUN_ONLY})
    assert outputs[0]["legs"]["left"]["severity"] is not None
    assert outputs[0] == outputs[1]
