"""Drawing cards: one card as PNG or SVG, and A4 sheets of cards with cut lines as PDF.

The QR holds only the opaque code (alphanumeric mode, error correction Q so a worn or
bent card still reads). Modules are drawn as vector squares in SVG and PDF, so a sheet
prints sharp at any printer resolution (docs/adr/0033-card-printing.md).
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_Q

from server.cards.codes import format_fallback

QUIET = 4  # modules of white around the symbol, as the QR standard asks
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CARD_TITLE = "居民健康卡"


def matrix(code: str) -> list[list[bool]]:
    """The QR symbol's modules (True = dark), without the quiet zone."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    qr.add_data(code)
    qr.make(fit=True)
    return qr.get_matrix()


def card_png(code: str, fallback: str, module_px: int = 10) -> bytes:
    """One card as PNG: the QR, the fallback code under it, the title when a CJK font
    is installed (the code alone is enough to scan and to type)."""
    from PIL import Image, ImageDraw, ImageFont

    m = matrix(code)
    size = (len(m) + 2 * QUIET) * module_px
    text_h = module_px * 6
    img = Image.new("L", (size, size + text_h * 2), 255)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(m):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = (x + QUIET) * module_px, (y + QUIET) * module_px + text_h
                draw.rectangle([x0, y0, x0 + module_px - 1, y0 + module_px - 1], fill=0)
    cjk = next((f for f in CJK_FONTS if Path(f).is_file()), None)
    if cjk:
        title_font = ImageFont.truetype(cjk, int(text_h * 0.6))
        draw.text((size / 2, text_h * 0.6), CARD_TITLE, font=title_font, fill=0, anchor="mm")
    code_font = ImageFont.load_default(size=int(text_h * 0.6))
    draw.text((size / 2, size + text_h * 1.2), format_fallback(fallback), font=code_font,
              fill=0, anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def card_svg(code: str, fallback: str) -> str:
    """One card as SVG (1 unit = 1 module): the QR as one path, the fallback under it."""
    m = matrix(code)
    n = len(m) + 2 * QUIET
    path = "".join(f"M{x + QUIET},{y + QUIET}h1v1h-1z" for y, row in enumerate(m)
                   for x, dark in enumerate(row) if dark)
    height = n + 6
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 -3 {n} {height}" '
            f'width="{n * 8}" height="{height * 8}" shape-rendering="crispEdges">'
            f'<rect x="0" y="-3" width="{n}" height="{height}" fill="#fff"/>'
            f'<text x="{n / 2}" y="0" font-size="2.4" text-anchor="middle" '
            f'font-family="sans-serif">{CARD_TITLE}</text>'
            f'<path d="{path}" fill="#000"/>'
            f'<text x="{n / 2}" y="{n + 1.5}" font-size="2.6" text-anchor="middle" '
            f'font-family="monospace" font-weight="bold">{format_fallback(fallback)}</text>'
            "</svg>")


# --- A4 sheet --------------------------------------------------------------------------

CARD_W_MM, CARD_H_MM = 85.6, 54.0  # ID-1, the size of a bank card: fits a wallet
COLUMNS, ROWS = 2, 5


def sheet_pdf(cards: list[dict[str, Any]], heading: str, footer: str = "") -> bytes:
    """A4 pages of 10 cards with dashed cut lines. Each card dict: code, fallback, and
    optionally name and village (blank cards leave a line to write the name on)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    # Adobe's standard Simplified Chinese font: every PDF reader has it or a substitute,
    # so nothing is embedded and a village's sheet stays small.
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(heading)
    page_w, page_h = A4
    card_w, card_h = CARD_W_MM * mm, CARD_H_MM * mm
    left = (page_w - COLUMNS * card_w) / 2
    top = page_h - (page_h - ROWS * card_h) / 2
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(cards) // per_page))
    for p in range(pages):
        pdf.setFont("STSong-Light", 9)
        pdf.drawString(left, top + 5 * mm, heading)
        pdf.drawRightString(left + COLUMNS * card_w, top + 5 * mm, f"{p + 1}/{pages}")
        if footer:
            pdf.drawString(left, top - ROWS * card_h - 7 * mm, footer)
        _cut_lines(pdf, left, top, card_w, card_h, mm)
        for i, card in enumerate(cards[p * per_page:(p + 1) * per_page]):
            col, row = i % COLUMNS, i // COLUMNS
            _draw_card(pdf, card, left + col * card_w, top - (row + 1) * card_h, card_h, mm)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _cut_lines(pdf, left: float, top: float, w: float, h: float, mm: float) -> None:
    pdf.saveState()
    pdf.setDash(3, 3)
    pdf.setLineWidth(0.3)
    pdf.setStrokeGray(0.55)
    for c in range(COLUMNS + 1):
        pdf.line(left + c * w, top + 3 * mm, left + c * w, top - ROWS * h - 3 * mm)
    for r in range(ROWS + 1):
        pdf.line(left - 3 * mm, top - r * h, left + COLUMNS * w + 3 * mm, top - r * h)
    pdf.restoreState()


def _draw_card(pdf, card: dict[str, Any], x: float, y: float, h: float, mm: float) -> None:
    """One card whose lower-left corner is (x, y): QR left, words right."""
    m = matrix(card["code"])
    n = len(m) + 2 * QUIET
    side = h - 8 * mm  # the QR square, quiet zone included
    unit = side / n
    qx, qy = x + 3 * mm, y + 4 * mm
    pdf.setFillGray(0)
    for r, row in enumerate(m):
        for c, dark in enumerate(row):
            if dark:  # a hair of overlap so no white seams appear between modules
                pdf.rect(qx + (c + QUIET) * unit, qy + side - (r + QUIET + 1) * unit,
                         unit + 0.05, unit + 0.05, stroke=0, fill=1)
    tx = qx + side + 2 * mm
    pdf.setFont("STSong-Light", 10)
    pdf.drawString(tx, y + h - 9 * mm, CARD_TITLE)
    name = card.get("name")
    pdf.setFont("STSong-Light", 15 if name and len(name) <= 5 else 11)
    pdf.drawString(tx, y + h - 18 * mm, name or "姓名：________")
    pdf.setFont("STSong-Light", 9)
    pdf.drawString(tx, y + h - 25 * mm, card.get("village") or "村：________")
    pdf.setFont("STSong-Light", 7)
    pdf.drawString(tx, y + 15 * mm, "无法扫码时输入卡号：")
    pdf.setFont("Courier-Bold", 13)
    pdf.drawString(tx, y + 9 * mm, format_fallback(card["fallback"]))
    pdf.setFont("STSong-Light", 6)
    pdf.drawString(tx, y + 4.5 * mm, card.get("issuer") or "")
