"""Label placement (analysis.report.charts.labels): labels moved apart along a line keep their
order and stay in range; labels placed around points never overlap each other or what they must
avoid, the same way on every run, and are left out when there is no room."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from analysis.report.charts.labels import declutter, dodge, overlaps, place_labels


def test_dodge_moves_labels_apart_as_little_as_needed_and_keeps_their_order():
    got = dodge([10.0, 11.0, 12.0, 50.0], 10.0, lo=-100.0, hi=100.0, gap=2.0)
    # Three labels 10 tall wanting 10, 11, 12: laid 12 apart around their mean wish, 11; the
    # fourth had room and stays.
    assert list(np.round(got, 9)) == [-1.0, 11.0, 23.0, 50.0]
    # At the bottom of the range they are pushed up instead, still in order.
    assert list(dodge([10.0, 11.0, 12.0], 10.0, lo=0.0, gap=2.0)) == [5.0, 17.0, 29.0]


def test_dodge_keeps_labels_inside_the_range_when_they_fit():
    got = dodge([95.0, 96.0, 97.0], 10.0, lo=0.0, hi=100.0, gap=0.0)
    assert got.max() + 5.0 <= 100.0 + 1e-9
    assert np.all(np.diff(got) >= 10.0 - 1e-9)
    assert np.isnan(dodge([np.nan, 1.0], 4.0)[0])


def _axes():
    fig = Figure(figsize=(4, 3), dpi=72)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.1, 0.1, 0.8, 0.8])
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    fig.draw_without_rendering()
    return fig, ax


def test_place_labels_never_overlaps_and_is_the_same_every_time():
    positions = []
    for _ in range(2):
        fig, ax = _axes()
        anchors = [(5.0, 5.0)] * 6  # six labels wanting the same spot
        placed = place_labels(ax, anchors, [f"label {i}" for i in range(6)], fontsize=11)
        boxes = placed.boxes
        assert len(boxes) == 6 - placed.dropped
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b)
        positions.append([a.xyann for a in placed.artists if a is not None])
    assert positions[0] == positions[1]


def test_place_labels_leaves_out_what_has_no_room_and_avoids_obstacles():
    fig, ax = _axes()
    everything = ax.get_window_extent()
    placed = place_labels(ax, [(5.0, 5.0)], ["nowhere to go"], fontsize=11, obstacles=[everything])
    assert placed.dropped == 1 and placed.artists == [None]
    obstacle = Bbox.from_extents(*ax.transData.transform((4, 4)), *ax.transData.transform((6, 8)))
    placed = place_labels(ax, [(5.0, 5.0)], ["beside"], fontsize=11, obstacles=[obstacle])
    assert placed.dropped == 0 and not placed.boxes[0].overlaps(obstacle)


def test_declutter_hides_what_still_collides():
    fig, ax = _axes()
    ax.text(5, 5, "first")
    ax.text(5, 5, "second, on top of it")
    assert overlaps(fig)
    assert declutter(fig) == 1
    assert overlaps(fig) == []
