"""Charts of a plan and its record, as standalone SVG (Altair rendered by vl-convert, no browser).

Presentation only: the lines, responses and progressions are the plan's; the lab series are the record's,
collected by :func:`rrmm.clinical.response.disease_measures` (the involved light chain is the one the response
assessment uses). Every chart carries a title, axis titles and an SVG ``<title>``/``<desc>`` for screen
readers; a record without the data returns a small "no data" chart rather than an error.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import altair as alt
import vl_convert

from rrmm.clinical.response import disease_measures, involved_chain
from rrmm.planning.plan import LineOut, Plan
from rrmm.record import Record
from rrmm.terminology import drug_vocabulary

WIDTH = 640  # px: the text width of an A4 page at 96 dpi with 15 mm margins is about 680 px
ROW = 46  # px per line of therapy in the swimmer chart
PANEL_HEIGHT = 120

#: Event kinds in the charts, with their colour and shape (one legend for every chart).
EVENTS: dict[str, tuple[str, str]] = {
    "progression": ("#c0392b", "triangle-down"),
    "transplant": ("#1e8449", "diamond"),
    "CAR-T infusion": ("#7d3c98", "square"),
    "response assessment": ("#555555", "circle"),
}
BAR_COLOUR = "#4a78b5"
ONGOING_COLOUR = "#9bb7dd"
SPAN_COLOUR = "#e3ebf6"
FONT = "DejaVu Sans"  # installed with WeasyPrint's usual font packages; wide, so other fonts only fit better

_ids = itertools.count(1)


def _data(rows: list[dict[str, Any]]) -> alt.InlineData:
    return alt.InlineData(values=rows)


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _utc(d: dt.date) -> alt.DateTime:
    return alt.DateTime(year=d.year, month=d.month, date=d.day, utc=True)


def _time_axis(domain: tuple[dt.date, dt.date], title: str | None) -> alt.Axis:
    days = (domain[1] - domain[0]).days
    if days > 3 * 365:
        return alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1}, title=title)
    step = 1 if days <= 240 else 3 if days <= 900 else 6
    return alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": step}, title=title, labelAngle=0)


def _x(field: str, domain: tuple[dt.date, dt.date], title: str | None = "Date") -> alt.X:
    return alt.X(
        f"{field}:T",
        scale=alt.Scale(type="utc", domain=[_utc(domain[0]), _utc(domain[1])]),
        axis=_time_axis(domain, title),
    )


def _kinds(events: Iterable[dict[str, Any]]) -> list[str]:
    present = {e["event"] for e in events}
    return [k for k in EVENTS if k in present]


def _event_colour(kinds: Sequence[str], title: str | None = "Event") -> alt.Color:
    return alt.Color(
        "event:N",
        title=title,
        scale=alt.Scale(domain=list(kinds), range=[EVENTS[k][0] for k in kinds]),
        legend=alt.Legend(orient="bottom") if title else None,
    )


def _event_shape(kinds: Sequence[str]) -> alt.Shape:
    return alt.Shape(
        "event:N", scale=alt.Scale(domain=list(kinds), range=[EVENTS[k][1] for k in kinds]), legend=None
    )


def _accessible(svg: str, title: str, description: str) -> str:
    """Give the SVG a role, a ``<title>`` and a ``<desc>``, and ids unique within an HTML page."""
    prefix = f"rrmm{next(_ids)}-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    open_end = svg.index(">", svg.index("<svg")) + 1
    head = svg[: open_end - 1] + f' role="img" aria-label={quoteattr(title)}>'
    meta = f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    return head + meta + svg[open_end:]


def _render(chart: alt.TopLevelMixin, title: str, description: str) -> str:
    # one font for measuring (vl-convert) and drawing (WeasyPrint, browsers), so labels do not collide
    svg = vl_convert.vegalite_to_svg(chart.configure(font=FONT).to_json())
    return _accessible(svg, title, description)


def no_data_svg(title: str, message: str) -> str:
    """A small chart that says there is nothing to draw (keeps the report's layout and its headings)."""
    chart = (
        alt.Chart(_data([{"message": message}]))
        .mark_text(fontSize=13, color="#555555")
        .encode(text="message:N")
        .properties(title=title, width=WIDTH, height=40)
    )
    return _render(chart, title, message)


def _line_label(line: LineOut) -> str:
    extra = [
        name for name, on in (("transplant", line.includes_transplant), ("CAR-T", line.includes_car_t)) if on
    ]
    return ", ".join(line.drugs) + "".join(f" + {e}" for e in extra)


def _line_end(line: LineOut, as_of: dt.date) -> dt.date:
    return line.end if line.end is not None else as_of


def _row_of(day: dt.date, lines: Sequence[LineOut], as_of: dt.date, flag: str) -> LineOut | None:
    """The line whose span holds ``day``; else the last line flagged ``flag`` that started before it."""
    for line in lines:
        if line.start <= day <= _line_end(line, as_of):
            return line
    flagged = [ln for ln in lines if getattr(ln, flag) and ln.start <= day]
    return flagged[-1] if flagged else None


def _cell_therapy_days(record: Record) -> list[dt.date]:
    vocab = drug_vocabulary()
    return sorted({t.start for t in record.therapies if vocab[t.drug].is_cell_therapy})


def _padded(first: dt.date, last: dt.date, right: float) -> tuple[dt.date, dt.date]:
    span = max((last - first).days, 30)
    return first - dt.timedelta(days=round(span * 0.02)), last + dt.timedelta(days=round(span * right))


def swimmer_svg(plan: Plan, record: Record) -> str:
    """One bar per line of therapy (start to end, or to ``as_of`` if ongoing), with drugs and best response.

    Transplant and CAR-T infusion dates are marked on the line that holds them, and so is each line's
    progression date.
    """
    title = "Lines of therapy"
    lines = plan.disease.lines
    if not lines:
        return no_data_svg(title, "No myeloma therapy in the record")
    as_of = plan.as_of
    names = {ln.number: f"Line {ln.number}" for ln in lines}
    order = [names[ln.number] for ln in lines]
    first = min([ln.start for ln in lines] + [t.date for t in record.transplants if t.date <= as_of])
    domain = _padded(first, as_of, 0.16)
    middle = domain[0] + (domain[1] - domain[0]) / 2
    bars = [
        {
            "line": names[ln.number],
            "start": _iso(ln.start),
            "end": _iso(_line_end(ln, as_of)),
            "state": "ongoing" if ln.end is None else "ended",
            "drugs": _line_label(ln),
            "best": f"best: {ln.best_response}" if ln.best_response else "best: not assessed",
            "right_half": ln.start > middle,
        }
        for ln in lines
    ]
    states = [s for s in ("ended", "ongoing") if any(b["state"] == s for b in bars)]
    events: list[dict[str, Any]] = []
    for ln in lines:
        if ln.progression_date is not None:
            events.append(
                {"line": names[ln.number], "date": _iso(ln.progression_date), "event": "progression"}
            )
    for kind, days, flag in (
        ("transplant", [t.date for t in record.transplants], "includes_transplant"),
        ("CAR-T infusion", _cell_therapy_days(record), "includes_car_t"),
    ):
        for day in days:
            row = _row_of(day, lines, as_of, flag)
            if row is not None:
                events.append({"line": names[row.number], "date": _iso(day), "event": kind})

    y = alt.Y("line:N", sort=order, title="Line of therapy", axis=alt.Axis(labelFontWeight="bold"))
    x = _x("start", domain)
    bar_data = _data(bars)
    base = alt.Chart(bar_data)
    bar = (
        base.mark_bar(size=14, cornerRadius=2)
        .encode(
            x=x,
            x2="end:T",
            y=y,
            color=alt.Color(
                "state:N",
                title="Therapy",
                scale=alt.Scale(
                    domain=states, range=[BAR_COLOUR if s == "ended" else ONGOING_COLOUR for s in states]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["line:N", "drugs:N", "start:T", "end:T", "best:N"],
        )
        .properties(name="line_bars")
    )
    drugs_left = (
        base.transform_filter("!datum.right_half")
        .mark_text(align="left", dy=-15, fontSize=11)
        .encode(x="start:T", y=y, text="drugs:N")
    )
    drugs_right = (
        base.transform_filter("datum.right_half")
        .mark_text(align="right", dy=-15, fontSize=11)
        .encode(x="end:T", y=y, text="drugs:N")
    )
    best = base.mark_text(align="left", dx=12, fontSize=11, fontStyle="italic").encode(
        x="end:T", y=y, text="best:N"
    )
    layers: list[alt.Chart] = [bar, drugs_left, drugs_right, best]
    if events:
        layers.append(
            alt.Chart(_data(events))
            .mark_point(size=110, filled=True, opacity=1, stroke="white", strokeWidth=0.8)
            .encode(
                x="date:T",
                y=y,
                color=_event_colour(_kinds(events)),
                shape=_event_shape(_kinds(events)),
                tooltip=["event:N", "date:T"],
            )
            .properties(name="line_events")
        )
    as_of_rule = alt.Chart(_data([{"date": _iso(as_of), "label": f"as of {as_of}"}]))
    layers.append(as_of_rule.mark_rule(strokeDash=[4, 3], color="#888888").encode(x="date:T"))
    layers.append(
        as_of_rule.mark_text(
            align="right", baseline="bottom", dx=-3, dy=-2, fontSize=9, color="#666666"
        ).encode(x="date:T", y=alt.value(ROW * len(lines)), text="label:N")
    )
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent", shape="independent")
        .properties(
            title=alt.TitleParams(
                title, subtitle=f"{len(lines)} lines; bars run from first to last dose (ongoing: to as of)"
            ),
            width=WIDTH - 130,
            height=ROW * len(lines),
        )
    )
    description = "; ".join(
        f"{b['line']}: {b['drugs']}, {b['start']} to {b['end']} ({b['state']}), {b['best']}" for b in bars
    ) + "".join(f"; {e['event']} on {e['date']} ({e['line']})" for e in events)
    return _render(chart, title, description)


def _span_rows(lines: Iterable[LineOut], as_of: dt.date) -> list[dict[str, Any]]:
    return [
        {"start": _iso(ln.start), "end": _iso(_line_end(ln, as_of)), "label": f"L{ln.number}"} for ln in lines
    ]


def _event_rows(plan: Plan, record: Record) -> list[dict[str, Any]]:
    """Progressions (the plan's, per line), transplants, CAR-T infusions and recorded response assessments."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for ln in plan.disease.lines:
        if ln.progression_date is not None:
            day = _iso(ln.progression_date)
            rows[(day, "progression")] = {"date": day, "event": "progression", "label": "PD"}
    for t in record.transplants:
        day = _iso(t.date)
        rows[(day, "transplant")] = {"date": day, "event": "transplant", "label": "transplant"}
    for when in _cell_therapy_days(record):
        day = _iso(when)
        rows[(day, "CAR-T infusion")] = {"date": day, "event": "CAR-T infusion", "label": "CAR-T"}
    for e in record.events:
        if e.type == "response_assessment":
            day = _iso(e.date)
            rows[(day, "response assessment")] = {
                "date": day,
                "event": "response assessment",
                "label": e.response or "assessed",
            }
    return sorted(rows.values(), key=lambda r: (r["date"], r["event"]))


def _panel(
    points: list[dict[str, Any]],
    y_title: str,
    spans: list[dict[str, Any]],
    events: list[dict[str, Any]],
    domain: tuple[dt.date, dt.date],
    x_title: str | None,
    labels: bool,
) -> alt.LayerChart:
    x = _x("date", domain, x_title)
    layers: list[alt.Chart] = []
    if spans:
        span = alt.Chart(_data(spans))
        layers.append(
            span.mark_rect(color=SPAN_COLOUR, stroke="#ffffff", strokeWidth=1).encode(
                x=_x("start", domain, x_title), x2="end:T"
            )
        )
        if labels:
            layers.append(
                span.mark_text(
                    align="left", baseline="bottom", dx=3, dy=-3, fontSize=10, color="#3b5b8a"
                ).encode(x="start:T", y=alt.value(PANEL_HEIGHT), text="label:N")
            )
    measure = alt.Chart(_data(points))
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=True))
    layers.append(
        measure.mark_line(color="#1f3b63", strokeWidth=1.8).encode(x=x, y=y).properties(name="marker_series")
    )
    layers.append(
        measure.mark_circle(color="#1f3b63", size=22, opacity=1)
        .encode(x=x, y=y, tooltip=["date:T", "value:Q"])
        .properties(name="marker_points")
    )
    if events:
        ev = alt.Chart(_data(events))
        layers.append(
            ev.mark_rule(strokeDash=[3, 3], strokeWidth=1.2)
            .encode(
                x="date:T",
                color=_event_colour(_kinds(events), None),  # the rules are labelled: no legend
                tooltip=["event:N", "date:T", "label:N"],
            )
            .properties(name="marker_events")
        )
        if labels:
            layers.append(
                ev.mark_text(angle=270, align="right", baseline="middle", dx=-2, fontSize=9, dy=-5).encode(
                    x="date:T", y=alt.value(0), text="label:N", color=_event_colour(_kinds(events), None)
                )
            )
    return alt.LayerChart(layer=layers, width=WIDTH - 90, height=PANEL_HEIGHT)


def trajectory_svg(record: Record, plan: Plan) -> str:
    """Serum M-protein (g/dL) and involved free light chain (mg/L) over time, one panel each.

    The lines of therapy are shaded behind the series (``L1``, ``L2`` ...); response assessments and
    progressions are dashed rules (labelled with the response, ``PD`` for progression).
    """
    title = "Disease markers over time"
    measures = disease_measures(record)
    chain = involved_chain(record)
    series: list[tuple[str, list[dict[str, Any]]]] = []
    if measures.serum:
        series.append(
            ("Serum M-protein (g/dL)", [{"date": _iso(p.date), "value": p.value} for p in measures.serum])
        )
    if measures.involved_flc and chain is not None:
        series.append(
            (
                f"Involved FLC, {chain} (mg/L)",
                [{"date": _iso(p.date), "value": p.value} for p in measures.involved_flc],
            )
        )
    if not series:
        return no_data_svg(title, "No serum M-protein or free light chain results in the record")
    as_of = plan.as_of
    days = [dt.date.fromisoformat(p["date"]) for _, pts in series for p in pts]
    first = min(days + [ln.start for ln in plan.disease.lines])
    domain = _padded(first, max([*days, as_of]), 0.02)
    spans = _span_rows(plan.disease.lines, as_of)
    events = _event_rows(plan, record)
    panels = [
        _panel(pts, y_title, spans, events, domain, "Date" if i == len(series) - 1 else None, labels=i == 0)
        for i, (y_title, pts) in enumerate(series)
    ]
    chart = (
        alt.vconcat(*panels, spacing=12)
        .resolve_scale(color="shared")
        .properties(
            title=alt.TitleParams(
                title,
                subtitle=(
                    "shaded: lines of therapy (L1, L2 ...); "
                    "dashed: progression (PD), transplant, CAR-T, response assessments"
                ),
            )
        )
    )
    description = (
        "; ".join(f"{name}: " + ", ".join(f"{p['date']} {p['value']:g}" for p in pts) for name, pts in series)
        + "; lines: "
        + ", ".join(f"{s['label']} {s['start']} to {s['end']}" for s in spans)
        + "".join(f"; {e['event']} {e['label']} on {e['date']}" for e in events)
    )
    return _render(chart, title, description)
