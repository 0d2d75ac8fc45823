"""The HTML summary of a cohort run: counts, and three charts rendered to SVG (Altair + vl-convert): the
distribution of lines of therapy, refractoriness by number of lines, and feasibility per trial."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pyarrow as pa
import vl_convert
from jinja2 import Environment

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rrmm cohort summary</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3rem .6rem;text-align:left}
figure svg{max-width:100%;height:auto}</style></head><body>
<h1>Cohort summary</h1>
<p>Engine: {{ engine }}. Patients with myeloma: {{ total }}; planned: {{ ok }}; failed: {{ failed }}
(each failed patient is in patients.parquet with its reason).</p>
<table><caption>Refractoriness</caption><tbody>
<tr><th scope="row">Triple-class exposed</th><td>{{ tce }}</td></tr>
<tr><th scope="row">Triple-class refractory</th><td>{{ tcr }}</td></tr>
<tr><th scope="row">Penta-refractory</th><td>{{ penta }}</td></tr></tbody></table>
<figure role="img" aria-label="Distribution of lines of therapy">{{ lines_svg }}</figure>
<figure role="img" aria-label="Triple-class refractoriness by number of lines">{{ refractory_svg }}</figure>
<figure role="img" aria-label="Trial feasibility">{{ trials_svg }}</figure>
{% if failures %}<h2>Failed patients (first {{ failures|length }})</h2><table><thead><tr>
<th>person_id</th><th>reason</th></tr></thead><tbody>{% for f in failures %}<tr><td>{{ f.person_id }}</td>
<td>{{ f.reason }}</td></tr>{% endfor %}</tbody></table>{% endif %}
<p>Decision support on population data: every number here comes from the same rules as
<code>rrmm plan</code>.</p>
</body></html>"""


@dataclass
class CohortStats:
    """What the summary needs, gathered patient by patient (the cohort itself is never held in memory)."""

    total: int = 0
    failed: int = 0
    tce: int = 0
    tcr: int = 0
    penta: int = 0
    by_lines: Counter[int] = field(default_factory=Counter)
    tcr_by_lines: Counter[int] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def add(self, p: dict[str, Any]) -> None:
        self.total += 1
        if p["status"] != "ok":
            self.failed += 1
            if len(self.failures) < 50:
                self.failures.append(
                    {"person_id": p["person_id"], "reason": "; ".join(p["problems"] or [])[:300]}
                )
            return
        self.tce += bool(p["triple_class_exposed"])
        self.tcr += bool(p["triple_class_refractory"])
        self.penta += bool(p["penta_refractory"])
        self.by_lines[p["lines_of_therapy"]] += 1
        self.tcr_by_lines[p["lines_of_therapy"]] += bool(p["triple_class_refractory"])


def _svg(chart: alt.TopLevelMixin) -> str:
    return str(vl_convert.vegalite_to_svg(chart.to_json()))


def _bar(
    values: list[dict[str, Any]], x: str, y: str, title: str, x_title: str, y_title: str, **kw: Any
) -> str:
    if not values:
        values = [{x: "none", y: 0}]
    chart = (
        alt.Chart(alt.Data(values=values), title=title)  # type: ignore[no-untyped-call]
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:{kw.get('x_type', 'O')}", title=x_title),
            y=alt.Y(f"{y}:Q", title=y_title),
            **(
                {"color": alt.Color(f"{kw['color']}:N", title=kw.get("color_title"))} if "color" in kw else {}
            ),
        )
        .properties(width=520, height=220)
    )
    return _svg(chart)


def summary_html(stats: CohortStats, trials: pa.Table, engine: str) -> str:
    lines_svg = _bar(
        [{"lines": k, "patients": v} for k, v in sorted(stats.by_lines.items())],
        "lines",
        "patients",
        "Lines of therapy",
        "prior lines of therapy",
        "patients",
    )
    refractory = [
        {"lines": k, "share": round(100 * stats.tcr_by_lines[k] / n, 1)}
        for k, n in sorted(stats.by_lines.items())
    ]
    refractory_svg = _bar(
        refractory,
        "lines",
        "share",
        "Triple-class refractory by number of lines",
        "prior lines of therapy",
        "% of patients",
    )
    feas = []
    for t in trials.to_pylist()[:25]:
        feas += [
            {"trial": t["nct_id"], "count": t["eligible"], "verdict": "passes"},
            {"trial": t["nct_id"], "count": t["uncertain"], "verdict": "unknowns"},
        ]
    trials_svg = _bar(
        feas,
        "trial",
        "count",
        "Trial feasibility (top 25): structured criteria",
        "trial",
        "patients",
        color="verdict",
        color_title="",
    )
    env = Environment(autoescape=True)
    from markupsafe import Markup

    return env.from_string(_PAGE).render(
        engine=engine,
        total=stats.total,
        ok=stats.total - stats.failed,
        failed=stats.failed,
        tce=stats.tce,
        tcr=stats.tcr,
        penta=stats.penta,
        lines_svg=Markup(lines_svg),
        refractory_svg=Markup(refractory_svg),
        trials_svg=Markup(trials_svg),
        failures=stats.failures,
    )
