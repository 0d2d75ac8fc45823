"""The HTML summary of a cohort run: counts, and three charts rendered to SVG (Altair + vl-convert): the
distribution of lines of therapy, refractoriness by number of lines, and feasibility per trial."""

from __future__ import annotations

from collections import Counter
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


def summary_html(patients: pa.Table, lines: pa.Table, trials: pa.Table, engine: str) -> str:
    rows = patients.to_pylist()
    ok = [r for r in rows if r["status"] == "ok"]
    by_lines = Counter(r["lines_of_therapy"] for r in ok)
    lines_svg = _bar(
        [{"lines": k, "patients": v} for k, v in sorted(by_lines.items())],
        "lines",
        "patients",
        "Lines of therapy",
        "prior lines of therapy",
        "patients",
    )
    refractory = []
    for k in sorted(by_lines):
        group = [r for r in ok if r["lines_of_therapy"] == k]
        share = sum(1 for r in group if r["triple_class_refractory"]) / len(group)
        refractory.append({"lines": k, "share": round(100 * share, 1)})
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
        "Trial feasibility (top 25)",
        "trial",
        "patients",
        color="verdict",
        color_title="",
    )
    failures = [
        {"person_id": r["person_id"], "reason": "; ".join(r["problems"] or [])[:300]}
        for r in rows
        if r["status"] == "failed"
    ][:50]
    env = Environment(autoescape=True)
    from markupsafe import Markup

    return env.from_string(_PAGE).render(
        engine=engine,
        total=len(rows),
        ok=len(ok),
        failed=len(rows) - len(ok),
        tce=sum(1 for r in ok if r["triple_class_exposed"]),
        tcr=sum(1 for r in ok if r["triple_class_refractory"]),
        penta=sum(1 for r in ok if r["penta_refractory"]),
        lines_svg=Markup(lines_svg),
        refractory_svg=Markup(refractory_svg),
        trials_svg=Markup(trials_svg),
        failures=failures,
    )
