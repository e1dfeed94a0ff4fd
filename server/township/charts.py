"""Server-rendered SVG charts: geometry computed here, drawn by templates/township/_charts.html.

Why server-side SVG: no chart library to ship or load, it prints, and it renders on the
cheapest phone browser; the pages carry a few kilobytes of markup.
"""
from __future__ import annotations


def bars(items: list[tuple[str, float | None]], target: float | None = None,
         width: int = 420, row: int = 24, label_w: int = 80, rate: bool = True) -> dict:
    """Horizontal bars for (label, value) pairs; values in 0..1 when `rate`."""
    top = max([v for _, v in items if v is not None] + [target or 0, 1 if rate else 0]) or 1
    plot = width - label_w - 56
    rows = []
    for i, (label, value) in enumerate(items):
        w = 0 if value is None else plot * value / top
        rows.append({"y": i * row + 4, "label": label, "w": round(w, 1),
                     "text": "—" if value is None else
                     (f"{value * 100:.1f}%" if rate else f"{value:g}"),
                     "low": target is not None and value is not None and value < target})
    return {"width": width, "height": len(items) * row + 8, "label_w": label_w, "rows": rows,
            "row": row, "target_x": None if target is None else
            round(label_w + plot * target / top, 1)}


def lines(series: dict[int, list[float | None]], rate: bool = True, width: int = 420,
          height: int = 200) -> dict:
    """A line per year over twelve months; gaps where a month has no value."""
    left, right, top_pad, bottom = 44, 12, 12, 28
    values = [v for s in series.values() for v in s if v is not None]
    top = max(values + [1.0 if rate else 1.0]) if values else 1.0
    if rate:
        top = 1.0
    plot_w, plot_h = width - left - right, height - top_pad - bottom

    def xy(i, v):
        return (round(left + plot_w * i / 11, 1), round(top_pad + plot_h * (1 - v / top), 1))

    out = []
    for year, vals in sorted(series.items(), reverse=True):
        pts = [xy(i, v) for i, v in enumerate(vals) if v is not None]
        out.append({"year": year, "points": " ".join(f"{x},{y}" for x, y in pts),
                    "dots": pts})
    ticks = [{"y": round(top_pad + plot_h * (1 - f), 1),
              "text": f"{f * 100:.0f}%" if rate else f"{top * f:g}"} for f in (0, .5, 1)]
    months = [{"x": xy(i, 0)[0], "text": str(i + 1)} for i in range(12)]
    return {"width": width, "height": height, "lines": out, "ticks": ticks,
            "months": months, "left": left, "bottom": height - bottom}
