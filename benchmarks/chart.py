"""The cold-path chart beside the report: one stacked bar (INIT, first request) per variant."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.raster import GLYPH_HEIGHT, Raster

INIT_COLOR = (31, 119, 180)
REQUEST_COLOR = (255, 160, 60)
TEXT_COLOR = (30, 30, 30)
WIDTH = 760
SCALE = 2
ROW_HEIGHT = 34
BAR_HEIGHT = 20
MARGIN = 16


@dataclass(frozen=True)
class Bar:
    """One variant: its median INIT and its median total (the first request is the rest)."""

    label: str
    init_ms: float
    total_ms: float


def cold_path_chart(bars: list[Bar], title: str) -> Raster:
    """Bars scaled to the largest total, each labelled with its total in milliseconds."""
    text_height = GLYPH_HEIGHT * SCALE
    label_width = max(Raster.text_width(bar.label, scale=SCALE) for bar in bars) + MARGIN
    value_width = Raster.text_width("00000 MS", scale=SCALE)
    top = MARGIN + text_height + MARGIN
    height = top + ROW_HEIGHT * len(bars) + MARGIN + text_height + MARGIN
    image = Raster(WIDTH, height)
    image.text(MARGIN, MARGIN, title, TEXT_COLOR, scale=SCALE)
    bar_left = MARGIN + label_width
    room = WIDTH - bar_left - value_width - MARGIN
    longest = max(bar.total_ms for bar in bars) or 1.0
    for index, bar in enumerate(bars):
        y = top + index * ROW_HEIGHT
        image.text(MARGIN, y + (BAR_HEIGHT - text_height) // 2, bar.label, TEXT_COLOR, scale=SCALE)
        init_width = round(room * bar.init_ms / longest)
        request_width = max(round(room * bar.total_ms / longest) - init_width, 0)
        image.fill(bar_left, y, init_width, BAR_HEIGHT, INIT_COLOR)
        image.fill(bar_left + init_width, y, request_width, BAR_HEIGHT, REQUEST_COLOR)
        value = f"{bar.total_ms:.0f} MS"
        image.text(bar_left + init_width + request_width + 8, y + 3, value, TEXT_COLOR, scale=SCALE)
    legend_y = top + ROW_HEIGHT * len(bars) + MARGIN // 2
    image.fill(MARGIN, legend_y, text_height, text_height, INIT_COLOR)
    x = image.text(MARGIN + text_height + 6, legend_y, "INIT (IMPORT)", TEXT_COLOR, scale=SCALE)
    image.fill(x + 24, legend_y, text_height, text_height, REQUEST_COLOR)
    image.text(x + 30 + text_height, legend_y, "FIRST REQUEST", TEXT_COLOR, scale=SCALE)
    return image
