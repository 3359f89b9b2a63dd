"""posescore: objective scoring of focal leg dystonia from ordinary videos."""

from __future__ import annotations

import sys

if not ((3, 9) <= sys.version_info[:2] <= (3, 12)):  # pragma: no cover - depends on interpreter
    raise ImportError(
        "posescore needs Python 3.9-3.12 (mediapipe 0.10.21, the last release with a bundled "
        f"pose model, has no wheels for Python {sys.version_info[0]}.{sys.version_info[1]})"
    )

__version__ = "0.1.0"
