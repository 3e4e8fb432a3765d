"""Labels that never overlap, at any data size.

Three tools, all measured with the figure's renderer (the same Hind metrics the browser uses for
the SVG text, so a box that is clear here is clear on the page):

- :func:`dodge`: labels in one column (line ends, lane ends) moved apart along that column as
  little as possible, kept inside a range when they fit.
- :func:`place_labels`: a few labels placed near their points, greedily in priority order: each
  takes the first free spot among candidate positions at growing distances (joined to its point
  by a thin leader line when away from it); a label that finds no free spot is left out, and the
  caller says so ("and N more"). Deterministic: the same figure always gets the same positions.
- :func:`declutter`: the last check when a chart is finished: any text that still overlaps a
  text drawn with higher priority (the frame, axis labels, annotations, legends, then tick labels)
  is hidden, so no two texts ever overlap whatever the data.

Pixels: charts are drawn at 72 dpi (one point is one pixel), so offsets in points are pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

#: Gap kept between two labels, and between a label and an obstacle (pixels).
PAD = 2.0


def dodge(
    centers: Sequence[float],
    heights: Sequence[float] | float,
    lo: float = -np.inf,
    hi: float = np.inf,
    gap: float = PAD,
) -> np.ndarray:
    """Centres of labels along one axis, moved apart so none overlap (each ``heights`` tall,
    ``gap`` apart), in their original order, each moved as little as the others allow.

    When they fit between ``lo`` and ``hi`` they stay inside; when they do not, they keep ``lo``
    and run past ``hi``. NaN centres are kept as NaN and take no room.
    """
    c = np.asarray(centers, dtype="float64")
    h = np.broadcast_to(np.asarray(heights, dtype="float64"), c.shape).copy()
    out = np.full(len(c), np.nan)
    ok = np.flatnonzero(np.isfinite(c))
    if not len(ok):
        return out
    order = ok[np.argsort(c[ok], kind="stable")]
    pos, size = c[order].copy(), h[order]
    # Clusters of touching labels are moved together to their mean wish, then merged with the
    # cluster below when they collide: the least total movement (a 1-D isotonic fit).
    blocks: list[list[int]] = []
    for i in range(len(pos)):
        blocks.append([i])
        _settle(pos, size, blocks[-1], c[order], gap)
        while len(blocks) > 1:
            below, above = blocks[-2], blocks[-1]
            if _block_top(pos, size, below) + gap <= _block_bottom(pos, size, above):
                break
            blocks[-2:] = [below + above]
            _settle(pos, size, blocks[-1], c[order], gap)
    # Keep inside [lo, hi]: shift down from the top, then up from the bottom (lo wins).
    top = pos + size / 2
    if len(pos) and top[-1] > hi:
        pos[-1] = hi - size[-1] / 2
        for i in range(len(pos) - 2, -1, -1):
            pos[i] = min(pos[i], pos[i + 1] - size[i + 1] / 2 - gap - size[i] / 2)
    if len(pos) and pos[0] - size[0] / 2 < lo:
        pos[0] = lo + size[0] / 2
        for i in range(1, len(pos)):
            pos[i] = max(pos[i], pos[i - 1] + size[i - 1] / 2 + gap + size[i] / 2)
    out[order] = pos
    return out


def _block_bottom(pos, size, block) -> float:
    return pos[block[0]] - size[block[0]] / 2


def _block_top(pos, size, block) -> float:
    return pos[block[-1]] + size[block[-1]] / 2


def _settle(pos, size, block, wish, gap) -> None:
    """Lay a block of labels edge to edge (``gap`` apart) centred on the mean of its wishes."""
    offsets = np.zeros(len(block))
    for k in range(1, len(block)):
        a, b = block[k - 1], block[k]
        offsets[k] = offsets[k - 1] + size[a] / 2 + gap + size[b] / 2
    start = float(np.mean(wish[block] - offsets))
    pos[block] = start + offsets


# ----------------------------------------------------------------------------------------------
# Placement around points
# ----------------------------------------------------------------------------------------------

#: Directions tried around a point, in order: above first (labels over bars and curves), then
#: the sides, then below.
_DIRECTIONS = [
    (0.0, 1.0),
    (0.7, 0.7),
    (-0.7, 0.7),
    (1.0, 0.0),
    (-1.0, 0.0),
    (0.7, -0.7),
    (-0.7, -0.7),
    (0.0, -1.0),
]
#: A thin grey line from a label to its point, when the label had to move away from it.
_LEADER = {"arrowstyle": "-", "color": "#8a8a8a", "linewidth": 0.8, "shrinkA": 1, "shrinkB": 2}
_RADII = (6.0, 14.0, 24.0, 36.0, 50.0, 66.0, 84.0, 104.0, 126.0, 150.0, 176.0, 204.0)


@dataclass
class Placement:
    """What :func:`place_labels` did: the label artists drawn (None where a label found no
    free spot) and how many were left out."""

    artists: list[Annotation | None]

    @property
    def dropped(self) -> int:
        return sum(a is None for a in self.artists)

    @property
    def boxes(self) -> list[Bbox]:
        return [_box(a) for a in self.artists if a is not None]


def place_labels(
    ax: Axes,
    anchors: Sequence[tuple[float, float]],
    texts: Sequence[str],
    *,
    fontsize: float,
    colors: Sequence[str] | str = "#222222",
    weight: str = "normal",
    obstacles: Sequence[Bbox] = (),
    region: Bbox | None = None,
    radii: Sequence[float] = _RADII,
) -> Placement:
    """Label each anchor (data coordinates of ``ax``) with its text, in the order given (the
    first gets the best spot), where the label overlaps no other label, no ``obstacles``
    (display boxes: bars, legends, other text) and stays inside ``region`` (display box; by
    default the axes). Labels away from their point get a thin leader line to it.

    Call it when the layout is final (after ``figure.draw_without_rendering()``); the labels are
    kept out of the layout engine so nothing moves afterwards.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    area = region if region is not None else ax.get_window_extent(renderer)
    blocked = [_grow(b, PAD) for b in obstacles]
    colour_list = [colors] * len(texts) if isinstance(colors, str) else list(colors)
    artists: list[Annotation | None] = []
    for (x, y), text, colour in zip(anchors, texts, colour_list, strict=True):
        point = ax.transData.transform((x, y))
        if not np.all(np.isfinite(point)):
            artists.append(None)
            continue
        style = {
            "fontsize": fontsize,
            "fontweight": weight,
            "color": colour,
            "ha": "center",
            "va": "center",
        }
        probe = ax.text(x, y, text, **style)
        box = probe.get_window_extent(renderer)
        probe.remove()
        w, h = box.width, box.height
        spot = _free_spot(point, w, h, area, blocked, radii)
        if spot is None:
            artists.append(None)
            continue
        dx, dy = spot
        far = np.hypot(dx, dy) > max(w, h) / 2 + 8
        artist = ax.annotate(
            text,
            xy=(x, y),
            xytext=(dx * 72 / fig.dpi, dy * 72 / fig.dpi),
            textcoords="offset points",
            annotation_clip=False,
            zorder=6,
            arrowprops={**_LEADER, "relpos": _near_edge(dx, dy, w, h)} if far else None,
            **style,
        )
        artist.set_in_layout(False)
        placed = Bbox.from_bounds(point[0] + dx - w / 2, point[1] + dy - h / 2, w, h)
        blocked.append(_grow(placed, PAD))
        artists.append(artist)
    return Placement(artists)


def _free_spot(point, w, h, area: Bbox, blocked: list[Bbox], radii) -> tuple[float, float] | None:
    """The first offset (pixels) of a w x h box around ``point`` that is inside ``area`` and
    clear of every ``blocked`` box."""
    for r in radii:
        for ux, uy in _DIRECTIONS:
            # Centre so the box's near edge is r from the point in that direction.
            dx = ux * (r + w / 2) if ux else 0.0
            dy = uy * (r + h / 2) if uy else 0.0
            x0, y0 = point[0] + dx - w / 2, point[1] + dy - h / 2
            if x0 < area.x0 or y0 < area.y0 or x0 + w > area.x1 or y0 + h > area.y1:
                continue
            box = Bbox.from_bounds(x0, y0, w, h)
            if not any(box.overlaps(b) for b in blocked):
                return dx, dy
    return None


def _near_edge(dx: float, dy: float, w: float, h: float) -> tuple[float, float]:
    """Where on the label its leader line starts: the edge facing its point."""
    rx = 0.5 - 0.5 * np.sign(dx) if abs(dx) >= w / 2 else 0.5
    ry = 0.5 - 0.5 * np.sign(dy) if abs(dy) >= h / 2 else 0.5
    return float(rx), float(ry)


def _grow(box: Bbox, by: float) -> Bbox:
    return Bbox.from_extents(box.x0 - by, box.y0 - by, box.x1 + by, box.y1 + by)


def _box(artist) -> Bbox:
    return Text.get_window_extent(artist, artist.figure.canvas.get_renderer())


# ----------------------------------------------------------------------------------------------
# The last check: nothing overlaps
# ----------------------------------------------------------------------------------------------


def text_boxes(fig: Figure) -> list[tuple[int, object, Bbox]]:
    """Every visible, non-empty text of the figure with its display box and priority (higher
    is kept first): figure texts 5, axes titles and axis labels 4, annotations and texts in
    axes 3, legends (as one box each) 2, tick labels 1."""
    renderer = fig.canvas.get_renderer()
    found: list[tuple[int, object, Bbox]] = []

    def add(priority: int, artist) -> None:
        if not artist.get_visible():
            return
        if isinstance(artist, Text) and not artist.get_text().strip():
            return
        # An annotation's own extent includes its leader line; only the text's box counts.
        box = (
            Text.get_window_extent(artist, renderer)
            if isinstance(artist, Text)
            else artist.get_window_extent(renderer)
        )
        if box.width > 0 and box.height > 0 and np.all(np.isfinite(box.get_points())):
            found.append((priority, artist, box))

    for text in fig.texts:
        add(5, text)
    for legend in fig.legends:
        add(2, legend)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for title in (ax.title, ax._left_title, ax._right_title):
            add(4, title)
        add(4, ax.xaxis.label)
        add(4, ax.yaxis.label)
        for text in ax.texts:
            add(3, text)
        legend = ax.get_legend()
        if legend is not None:
            add(2, legend)
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks():
                if tick.get_visible() and tick.label1.get_visible():
                    add(1, tick.label1)
    return found


def declutter(fig: Figure, gap: float = 1.0) -> int:
    """Hide every text that overlaps a text of higher priority (or an earlier one of the same
    priority) by less than ``gap`` pixels of clearance; returns how many were hidden."""
    items = text_boxes(fig)
    ranked = sorted(range(len(items)), key=lambda i: (-items[i][0], i))
    kept: list[Bbox] = []
    hidden = 0
    for i in ranked:
        _, artist, box = items[i]
        grown = _grow(box, gap / 2)
        if any(grown.overlaps(k) for k in kept):
            artist.set_visible(False)
            hidden += 1
        else:
            kept.append(grown)
    return hidden


def overlaps(fig: Figure, gap: float = 0.0) -> list[tuple[str, str]]:
    """Pairs of visible texts whose boxes overlap (for tests)."""
    fig.draw_without_rendering()
    items = text_boxes(fig)
    out = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            a, b = _grow(items[i][2], gap / 2), _grow(items[j][2], gap / 2)
            if a.overlaps(b):
                out.append((_name(items[i][1]), _name(items[j][1])))
    return out


def _name(artist) -> str:
    if isinstance(artist, Legend):
        return "legend"
    return artist.get_text()
