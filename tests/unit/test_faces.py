"""Face boxes for blurring: tiles, growth to the head, and the temporal hold."""

import numpy as np

from posescore.faces import grow_faces, held_boxes, hold_frames, tile_windows

BOX = np.array([[100.0, 100.0, 120.0, 120.0]])
NONE = np.empty((0, 4))


def test_tiles_cover_the_frame_at_half_size():
    win = tile_windows(640, 480, grid=3)
    assert win.shape == (10, 4)
    assert win[0].tolist() == [0, 0, 640, 480]
    tiles = win[1:]
    assert (tiles[:, 2] - tiles[:, 0] == 320).all() and (tiles[:, 3] - tiles[:, 1] == 240).all()
    assert tiles[:, :2].min() == 0 and tiles[:, 2].max() == 640 and tiles[:, 3].max() == 480
    assert tile_windows(640, 480, grid=0).tolist() == [[0, 0, 640, 480]]


def test_faces_grow_to_the_head_more_above():
    grown = grow_faces(BOX, margin=0.5, top=0.8)
    np.testing.assert_allclose(grown, [[90.0, 84.0, 130.0, 130.0]])
    assert grow_faces(NONE).shape == (0, 4)


def test_a_face_missed_for_a_frame_is_still_blurred_there():
    found = [BOX, BOX, NONE, BOX, BOX]  # detector flicker at frame 2
    held = list(held_boxes(found, hold=1))
    assert all(len(h) >= 1 for h in held)
    np.testing.assert_allclose(held[2], BOX)


def test_a_box_is_held_for_hold_frames_either_side_growing():
    found = [NONE] * 9
    found[4] = BOX
    held = list(held_boxes(found, hold=2, grow=0.1))
    assert [len(h) for h in held] == [0, 0, 1, 1, 1, 1, 1, 0, 0]
    np.testing.assert_allclose(held[4], BOX)
    np.testing.assert_allclose(held[3], grow_faces(BOX, 0.1, 0.1))  # 1 frame away: +2 px
    np.testing.assert_allclose(held[6], grow_faces(BOX, 0.2, 0.2))
    assert hold_frames(25.0, 0.3) == 8 and hold_frames(1.0, 0.3) == 1


def test_boxes_inside_another_are_dropped_when_held():
    still = [BOX] * 5
    held = list(held_boxes(still, hold=2, grow=0.1))
    assert all(len(h) == 1 for h in held)  # the grown copies contain the others


def test_held_boxes_of_a_frame_come_once_the_hold_after_it_is_found():
    pulled = []

    def found():
        for k in range(7):
            pulled.append(k)
            yield BOX + k

    held = held_boxes(found(), hold=2)
    for t in range(7):
        boxes = next(held)
        assert len(pulled) == min(t + 3, 7)  # frames t .. t + 2 found, no more
        near = [k for k in range(t - 2, t + 3) if 0 <= k < 7]
        np.testing.assert_allclose(boxes, np.concatenate([BOX + k for k in near]))
    assert next(held, None) is None
