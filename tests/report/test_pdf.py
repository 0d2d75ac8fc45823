"""The tumor-board PDF: a PDF document of A4 pages, laid out from the same HTML."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from collections.abc import Callable

import pytest

from rrmm.planning.plan import Plan
from rrmm.record import Record
from rrmm.report.pdf import html_to_pdf, tumor_board_pdf

A4_POINTS = (595, 842)  # 210 x 297 mm at 72 points per inch, rounded


def _objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated (WeasyPrint packs objects into object streams)."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return b"".join(parts)


def _pages(pdf: bytes) -> list[tuple[float, float]]:
    """The MediaBox (width, height) of each page object."""
    body = _objects(pdf)
    sizes = []
    for m in re.finditer(rb"/Type\s*/Page(?![a-zA-Z])(.*?)>>", body, re.S):
        box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", m.group(0))
        if box is None:  # MediaBox may come before /Type in the dictionary
            continue
        sizes.append((float(box.group(3)), float(box.group(4))))
    return sizes


@pytest.fixture(scope="module")
def tcr_pdf(load: Callable[[str], tuple[Record, Plan]]) -> bytes:
    record, plan = load("triple-class-refractory")
    return tumor_board_pdf(plan, record)


def test_pdf_bytes_and_pages(tcr_pdf: bytes) -> None:
    assert tcr_pdf.startswith(b"%PDF-")
    assert tcr_pdf.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", _objects(tcr_pdf)))
    assert pages >= 1
    count = re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", _objects(tcr_pdf), re.S) or re.search(
        rb"/Count\s+(\d+).*?/Type\s*/Pages\b", _objects(tcr_pdf), re.S
    )
    assert count is not None and int(count.group(1)) == pages


def test_pages_are_a4(tcr_pdf: bytes) -> None:
    sizes = _pages(tcr_pdf)
    assert sizes
    for w, h in sizes:
        assert (round(w), round(h)) == A4_POINTS


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_pdf_text(tcr_pdf: bytes) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=tcr_pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Tumor board" in text
    assert "example-triple-class-refractory" in text
    assert "Ciltacabtagene autoleucel (cilta-cel)" in text
    assert "Lines of therapy" in text  # the chart's title, drawn from the inline SVG
    assert "Decision support, not a decision." in text
    assert re.search(r"page 1 of \d+", text)  # running footer


def test_small_page_is_one_page() -> None:
    pdf = html_to_pdf("<!DOCTYPE html><html><body><p>one page</p></body></html>")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", _objects(pdf))) == 1


def test_pdf_of_an_example(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, plan = load("frail-elderly")
    assert tumor_board_pdf(plan, record).startswith(b"%PDF")
