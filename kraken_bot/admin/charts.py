"""Charts drawn on the server as inline SVG: the admin works with no internet and no JavaScript.
Columns fill the width of their box and bars shrink to fit theirs (the `viewBox` keeps the
proportions).

Each chart takes its points already computed (by the database) and only scales them; labels and
values are escaped like any other text in a template.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_COLOUR = "#417690"  # the admin's own blue
LABEL_COLOUR = "#555"


@dataclass(frozen=True, kw_only=True)
class Point:
    """One bar: what it is called and how big it is."""

    label: str
    value: float


def columns(
    points: Sequence[Point],
    *,
    title: str,
    show: Callable[[float], str],
    label_every: int = 5,
    height: int = 160,
    column_width: int = 22,
) -> SafeString:
    """Vertical bars, one per point (a day, say); the last point and every `label_every`-th one
    before it are labelled below, and every bar's value is its tooltip."""
    top = max((point.value for point in points), default=0) or 1
    plot_height = height - 36
    width = max(len(points), 1) * column_width + 20  # room for the last label
    bars = format_html_join(
        "",
        '<g><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/></g>',
        (
            (
                point.label,
                show(point.value),
                4 + index * column_width,
                16 + plot_height - _scaled(point.value, top, plot_height),
                column_width - 4,
                _scaled(point.value, top, plot_height),
                BAR_COLOUR,
            )
            for index, point in enumerate(points)
        ),
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" fill="{}" text-anchor="middle">{}</text>',
        (
            (4 + index * column_width + column_width / 2, height - 4, LABEL_COLOUR, point.label)
            for index, point in enumerate(points)
            if (len(points) - 1 - index) % label_every == 0
        ),
    )
    return format_html(
        '<svg class="kraken-chart" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" style="width:100%;height:auto" xmlns="http://www.w3.org/2000/svg">'
        '<text x="4" y="11" font-size="10" fill="{}">max {}</text>{}{}</svg>',
        title,
        width,
        height,
        width,
        height,
        LABEL_COLOUR,
        show(top if points else 0),
        bars,
        labels,
    )


def bars(
    points: Sequence[Point],
    *,
    title: str,
    show: Callable[[float], str],
    scale_to: float | None = None,
    label_width: int = 120,
    bar_width: int = 300,
    row_height: int = 22,
) -> SafeString:
    """Horizontal bars, one row per point, with its label on the left and its value on the right.
    Bars are scaled to `scale_to` (a total, say) or else to the largest value."""
    top = scale_to or max((point.value for point in points), default=0) or 1
    rows = format_html_join(
        "",
        "<g><title>{}: {}</title>"
        '<text x="0" y="{}" font-size="12" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" font-size="12" fill="{}">{}</text></g>',
        (
            (
                point.label,
                show(point.value),
                index * row_height + 15,
                LABEL_COLOUR,
                point.label,
                label_width,
                index * row_height + 4,
                _scaled(point.value, top, bar_width),
                row_height - 8,
                BAR_COLOUR,
                label_width + _scaled(point.value, top, bar_width) + 6,
                index * row_height + 15,
                LABEL_COLOUR,
                show(point.value),
            )
            for index, point in enumerate(points)
        ),
    )
    width = label_width + bar_width + 90
    height = max(len(points), 1) * row_height
    return format_html(
        '<svg class="kraken-chart" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" style="max-width:100%;height:auto" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        width,
        height,
        width,
        height,
        rows,
    )


def _scaled(value: float, top: float, length: int) -> float:
    return round(max(value, 0) / top * length, 1)
