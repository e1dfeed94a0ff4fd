"""Every card we print decodes, with an independent decoder (zxing-cpp), back to its code:
single cards as PNG and SVG, and whole A4 sheets as PDF rendered to images (pdfium)."""
from __future__ import annotations

import io
import re

import pytest
from conftest import login
from PIL import Image, ImageDraw

from server.cards import codes, render

zxingcpp = pytest.importorskip("zxingcpp")
pdfium = pytest.importorskip("pypdfium2")


def decode(image: Image.Image) -> list[str]:
    """Every QR text zxing-cpp finds in the image."""
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def svg_to_image(svg: str, scale: int = 8) -> Image.Image:
    """Rasterise our SVG's module path (M x,y h1v1h-1z ...) with Pillow, to decode it."""
    view = [float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    img = Image.new("L", (int(view[2] * scale), int(view[3] * scale)), 255)
    draw = ImageDraw.Draw(img)
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x, y in re.findall(r"M(\d+),(\d+)h1v1h-1z", path):
        x0, y0 = int(x) * scale, (int(y) - view[1]) * scale
        draw.rectangle([x0, y0, x0 + scale - 1, y0 + scale - 1], fill=0)
    return img


def test_every_png_and_svg_card_decodes_to_its_code():
    for _ in range(40):
        code, fallback = codes.new_qr_code(), codes.new_fallback()
        png = Image.open(io.BytesIO(render.card_png(code, fallback)))
        assert decode(png) == [code]
        svg = render.card_svg(code, fallback)
        assert codes.format_fallback(fallback) in svg
        assert decode(svg_to_image(svg)) == [code]


def test_small_print_still_decodes():
    """3 px per module is what a cheap camera sees of a card at arm's length."""
    code = codes.new_qr_code()
    assert decode(Image.open(io.BytesIO(render.card_png(code, codes.new_fallback(), 3)))) == \
        [code]


def sheet_codes(pdf: bytes) -> list[list[str]]:
    """The QR codes found on each page of a PDF rendered at 150 dpi."""
    doc = pdfium.PdfDocument(pdf)
    return [sorted(decode(page.render(scale=150 / 72).to_pil().convert("L"))) for page in doc]


def test_village_sheet_pdf_decodes_card_by_card(app, town):
    staff = app.test_client()
    login(staff, "staff_a")
    staff.post(f"/api/villages/{town['village_1']}/cards", json={})
    batch = staff.post("/api/cards/blank", json={"count": 13}).get_json()
    r = staff.get(f"/api/cards/sheet.pdf?batch={batch['batch']}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pages = sheet_codes(r.get_data())
    assert [len(p) for p in pages] == [10, 3]
    assert sorted(sum(pages, [])) == sorted(c["code"] for c in batch["cards"])
    r = staff.get(f"/api/cards/sheet.pdf?village_id={town['village_1']}")
    [page] = sheet_codes(r.get_data())
    resident = staff.get(f"/api/residents/{town['resident_1']}").get_json()
    assert page == [resident["card_code"]]
    r = staff.get(f"/api/cards/sheet.pdf?household_id={town['household_1']}")
    assert sheet_codes(r.get_data()) == [[resident["card_code"]]]


def test_single_card_endpoints(app, town):
    staff = app.test_client()
    login(staff, "staff_a")
    card = staff.post(f"/api/residents/{town['resident_1']}/card", json={}).get_json()
    png = staff.get(f"/api/cards/{card['id']}.png")
    assert png.mimetype == "image/png"
    assert decode(Image.open(io.BytesIO(png.get_data()))) == [card["code"]]
    svg = staff.get(f"/api/cards/{card['id']}.svg")
    assert svg.mimetype == "image/svg+xml"
    assert decode(svg_to_image(svg.get_data(as_text=True))) == [card["code"]]
    doctor = app.test_client()
    login(doctor, "doctor_a")
    assert doctor.get(f"/api/cards/{card['id']}.png").status_code == 403
    assert staff.get(f"/api/cards/sheet.pdf?village_id={town['village_3']}").status_code == 404
    assert staff.get("/api/cards/sheet.pdf").status_code == 400
