"""Small numeric helpers shared by the stages that write results."""

from __future__ import annotations

from typing import Optional

import numpy as np


def round_or_none(x: Optional[float], digits: int = 4) -> Optional[float]:
    """``x`` rounded to ``digits``, or None when it is None, NaN or infinite (JSON has no NaN)."""
    return None if x is None or not np.isfinite(x) else round(float(x), digits)
