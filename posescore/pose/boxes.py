"""Box maths for subject selection: pure functions on arrays of boxes and detections.

Boxes are ``(x0, y0, x1, y1)`` in pixels of the upright full-size frame unless said
otherwise. A detection is a box followed by the ankle gap ``(|dx|, |dy|)`` between the
person's ankles in box heights (``DETECTION_COLUMNS``; NaN when the detector gives no ankles,
as HOG does).
"""

from __future__ import annotations

import numpy as np

DETECTION_COLUMNS = 6
"""A detection: box (x0, y0, x1, y1) px, then ankle gap (|dx|, |dy|) in box heights."""
_MERGE_IOU = 0.3
"""A second detector's box overlapping a first detector's box this much is the same person."""


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection area of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), px^2."""
    ix = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    iy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(ix, 0, None) * np.clip(iy, 0, None)


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (N, 4) with every box in ``b`` (M, 4).

    Returns
    -------
    ndarray, shape (N, M)
        IoU in [0, 1].
    """
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    inter = _intersection(a, b)
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def box_centres(boxes: np.ndarray) -> np.ndarray:
    """Centres (..., 2) of boxes (..., 4), px."""
    return np.stack([(boxes[..., 0] + boxes[..., 2]) / 2, (boxes[..., 1] + boxes[..., 3]) / 2], -1)


def box_heights(boxes: np.ndarray) -> np.ndarray:
    """Heights (...) of boxes (..., 4), px."""
    return boxes[..., 3] - boxes[..., 1]


def box_contains(boxes: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether points (x, y) lie inside boxes (..., 4), broadcast; NaN boxes contain nothing."""
    with np.errstate(invalid="ignore"):
        return (x >= boxes[..., 0]) & (x <= boxes[..., 2]) & (y >= boxes[..., 1]) & (
            y <= boxes[..., 3])


def as_detections(rows: np.ndarray) -> np.ndarray:
    """Rows of boxes (N, 4) or detections (N, 6) as detections (N, 6), NaN ankle gaps added."""
    rows = np.asarray(rows, dtype=float)
    rows = rows.reshape(-1, rows.shape[-1] if rows.size else 4)
    missing = DETECTION_COLUMNS - rows.shape[1]
    return np.pad(rows, ((0, 0), (0, missing)), constant_values=np.nan) if missing else rows


def merge_detections(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Union of two detectors' boxes in one frame, the primary's box winning on overlap.

    A secondary box is dropped when it overlaps a primary box (IoU >= 0.3) or its centre lies
    inside one.

    Parameters
    ----------
    primary, secondary : ndarray, shape (N, 4 or 6) and (M, 4 or 6)
        Boxes in pixels, or detections (``DETECTION_COLUMNS``).

    Returns
    -------
    ndarray, shape (N + m, 6)
        The primary detections followed by the m secondary ones kept.
    """
    primary, secondary = as_detections(primary), as_detections(secondary)
    if len(primary) == 0 or len(secondary) == 0:
        return np.concatenate([primary, secondary])
    c = box_centres(secondary)
    inside = box_contains(primary[None, :], c[:, None, 0], c[:, None, 1]).any(axis=1)
    overlap = (box_iou(secondary[:, :4], primary[:, :4]) >= _MERGE_IOU).any(axis=1)
    return np.concatenate([primary, secondary[~(inside | overlap)]])


def suppress_nested(boxes: np.ndarray, max_contained: float = 0.7) -> np.ndarray:
    """Drop boxes lying mostly inside a larger box (a detector firing twice on one person).

    Parameters
    ----------
    boxes : ndarray, shape (N, 4)
        Boxes in pixels.
    max_contained : float
        A box is dropped when at least this share of its area lies inside a larger box.

    Returns
    -------
    ndarray, shape (n, 4)
        The boxes kept, in their order.
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    area = _area(boxes)
    contained = _intersection(boxes, boxes) / np.maximum(area[:, None], 1e-9)
    inside_larger = (contained >= max_contained) & (area[None, :] > area[:, None])
    return boxes[~inside_larger.any(axis=1)]
