"""The tumor-board report: one self-contained, printable HTML page (inline CSS and SVG charts).

Presentation only. Every statement on the page is a field of the plan (or the record's lab series drawn by
:mod:`rrmm.report.charts`); nothing is decided here. Jinja2 renders ``templates/tumor_board.html.j2`` with
autoescaping on, so text from a record (an id, a free-text term) can never become markup; only the SVG of
the charts, built by vl-convert from data, is inserted as markup.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from rrmm.planning.plan import Judgement, Plan
from rrmm.record import Record
from rrmm.report.charts import swimmer_svg, trajectory_svg

TEMPLATES = Path(__file__).parent / "templates"


def pct(fraction: float | None) -> str:
    """A fraction as a percentage (0.846 -> '84.6%'); '-' when unknown."""
    return "-" if fraction is None else f"{round(fraction * 100, 1):g}%"


def num(value: float | None, unit: str = "") -> str:
    """A number without trailing zeros, with its unit; 'unknown' when missing."""
    return "unknown" if value is None else f"{value:g}" + (f" {unit}" if unit else "")


def yes_no(value: object) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def judged(j: Judgement) -> str:
    """A judgement's value in words (its reasons are shown beside it)."""
    if isinstance(j.value, bool) or j.value is None:
        return yes_no(j.value)
    return str(j.value).replace("_", " ")


def words(value: str | None) -> str:
    """A code such as ``relapsed_and_refractory`` as words."""
    return "-" if value is None else value.replace("_", " ")


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


@cache
def environment() -> Environment:
    """The reports' Jinja2 environment: autoescape always on, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(pct=pct, num=num, yes_no=yes_no, judged=judged, words=words, long_date=long_date)
    return env


def _evidence_pfs(months: float | None, not_reached: bool) -> str:
    if not_reached:
        return "not reached"
    return "-" if months is None else f"{months:g} mo"


def tumor_board_context(plan: Plan, record: Record) -> dict[str, Any]:
    """What the tumor-board template reads: the plan, the record's demographics and the two charts."""
    return {
        "plan": plan,
        "d": plan.disease,
        "sex": record.sex,
        "swimmer": Markup(swimmer_svg(plan, record)),
        "trajectory": Markup(trajectory_svg(record, plan)),
        "pfs": _evidence_pfs,
    }


def tumor_board_html(plan: Plan, record: Record) -> str:
    """The tumor-board page for ``plan`` (with the lab series of ``record``), as one HTML document."""
    return environment().get_template("tumor_board.html.j2").render(tumor_board_context(plan, record))
