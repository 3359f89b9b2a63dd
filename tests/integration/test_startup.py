"""The command line starts without the heavy libraries it does not need (not timed here).

``bench/bench_startup.py`` times the same paths; these tests only check what is imported, in a
fresh interpreter, so that a new top-level import cannot slow every command down unnoticed.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "scipy", "pydantic", "sklearn", "skops", "matplotlib", "pyarrow",
         "mediapipe", "dask", "fastapi", "sqlalchemy", "cv2")
"""Top-level packages that each take from tens of milliseconds to seconds to import."""


def imported_after(code: str) -> set[str]:
    """Top-level packages of ``HEAVY`` imported after running ``code`` in a fresh interpreter."""
    probe = (
        f"import json, sys\n{code}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout.splitlines()[-1])) & set(HEAVY)


def test_the_probe_sees_an_import():
    assert imported_after("import numpy") == {"numpy"}


def test_help_imports_none_of_the_heavy_libraries():
    code = (
        "from posescore.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for argv in (['--help'], ['score', '--help'], ['batch', '--help']):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
    )
    assert imported_after(code) == set()


def test_the_pose_cache_key_does_not_import_mediapipe():
    code = (
        "from posescore.config import PoseConfig\n"
        "from posescore.pose import extractor_version\n"
        "print(extractor_version(PoseConfig()))\n"
    )
    assert "mediapipe" not in imported_after(code)
    import mediapipe

    from posescore.config import PoseConfig
    from posescore.pose import extractor_version

    assert extractor_version(PoseConfig()).startswith(f"mediapipe-{mediapipe.__version__}|")


def test_a_cached_model_loads_without_skops_dask_or_scikit_learn():
    load = "from posescore.model_file import load_model\nload_model()\n"
    imported_after(load)  # verifies the default model with skops, compiles and caches it
    assert not {"skops", "dask", "sklearn"} & imported_after(load)


@pytest.mark.slow
def test_a_cached_re_score_imports_neither_scikit_learn_nor_the_drawing_libraries(tmp_path):
    video = Path(__file__).resolve().parents[2] / "sample_videos" / "left_s2_sagittal_left.mp4"
    score = (
        "from posescore.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['score', {str(video)!r}, '--json', {str(tmp_path / 'out.json')!r}])\n"
    )
    imported_after(score)  # tracks the pose and compiles the model into the cache
    assert not {"sklearn", "skops", "matplotlib", "pyarrow", "mediapipe", "dask"} & (
        imported_after(score))
    assert (tmp_path / "out.json").is_file()
