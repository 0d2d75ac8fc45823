"""The plan as a readable terminal summary, with rich. Presentation only: no clinical logic here."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rrmm.planning.plan import Judgement, Plan


def _yes_no(value: object) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _judged(j: Judgement) -> str:
    reasons = "; ".join(j.reasons)
    plain = isinstance(j.value, bool) or j.value is None
    shown = _yes_no(j.value) if plain else str(j.value).replace("_", " ")
    return shown + (f" ({reasons})" if reasons else "")


def render_plan(plan: Plan, console: Console) -> None:
    """Print ``plan`` for a hematologist reading it in a terminal."""
    d = plan.disease
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row(
        "Patient", f"{plan.patient_id}   as of {plan.as_of}   age {d.age if d.age is not None else 'unknown'}"
    )
    head.add_row("Status", _judged(d.status))
    head.add_row("Lines of therapy", str(d.lines_of_therapy))
    head.add_row(
        "Current response",
        f"{d.current_response or 'not assessable'} ({'; '.join(d.current_response_reasons)})",
    )
    head.add_row("Exposed classes", ", ".join(d.exposed_classes) or "none")
    head.add_row("Refractory to", ", ".join(d.refractory_drugs) or "none")
    flags = [
        name
        for name, on in (
            ("triple-class exposed", d.triple_class_exposed),
            ("triple-class refractory", d.triple_class_refractory),
            ("penta-refractory", d.penta_refractory),
            ("prior BCMA", d.prior_bcma),
            ("prior GPRC5D", d.prior_gprc5d),
        )
        if on
    ]
    head.add_row("", ", ".join(flags))
    head.add_row(
        "Stage at diagnosis",
        f"ISS {d.stage.iss or '?'}, R-ISS {d.stage.r_iss or '?'}, R2-ISS {d.stage.r2_iss or '?'}",
    )
    head.add_row("High risk", _judged(d.high_risk))
    crcl = f"{d.crcl_ml_min} mL/min" if d.crcl_ml_min is not None else "unknown"
    egfr = f"{d.egfr_ml_min_1_73m2} mL/min/1.73m²" if d.egfr_ml_min_1_73m2 is not None else "unknown"
    head.add_row("Kidney", f"CrCl {crcl}, eGFR {egfr}" + (", on dialysis" if d.on_dialysis else ""))
    head.add_row("ECOG", _judged(d.ecog))
    head.add_row("Transplant eligible", _judged(d.transplant_eligible))

    lines = Table(title="Lines of therapy", expand=True)
    for col in ("#", "start", "end", "drugs", "best", "ended by", "refractory"):
        lines.add_column(col, overflow="fold", no_wrap=col in ("#", "start", "end", "best"))
    for line in d.lines:
        drugs = ", ".join(line.drugs) + (" + ASCT" if line.includes_transplant else "")
        lines.add_row(
            str(line.number),
            str(line.start),
            str(line.end) if line.end else "ongoing",
            drugs,
            line.best_response or "-",
            line.ended_by or "-",
            ", ".join(line.refractory_drugs) or "-",
        )
    parts: list[Table | Text] = [head, lines]
    if plan.warnings:
        parts.append(Text("Warnings:\n" + "\n".join(f"- {w}" for w in plan.warnings), style="yellow"))
    kb = plan.knowledge_base
    console.print(
        Panel(Group(*parts), title=f"rrmm plan (knowledge base {kb.version}, reviewed {kb.reviewed})")
    )
