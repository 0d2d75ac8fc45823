"""The tumor-board report as PDF: WeasyPrint lays out the same HTML page.

A4 pages with a running footer (decision-support notice, knowledge base, patient id, page n of N).
"""

from __future__ import annotations

from typing import cast

import weasyprint  # type: ignore[import-untyped]

from rrmm.planning.plan import Plan
from rrmm.record import Record
from rrmm.report.html import TEMPLATES, tumor_board_html


def html_to_pdf(html: str) -> bytes:
    """Lay out a self-contained report page as PDF (no network: the page has no external resources)."""
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES))
    return cast(bytes, document.write_pdf())


def tumor_board_pdf(plan: Plan, record: Record) -> bytes:
    """The tumor-board report (:func:`rrmm.report.html.tumor_board_html`) as PDF bytes."""
    return html_to_pdf(tumor_board_html(plan, record))
