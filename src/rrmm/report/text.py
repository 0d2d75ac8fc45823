"""The plan as a readable terminal summary, with rich. Presentation only: no clinical logic here."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rrmm.knowledge import KnowledgeBase
from rrmm.knowledge.schema import Regimen
from rrmm.planning.plan import InteractionOut, InteractionsOut, Judgement, Plan, ToxicityOut, TrialOut


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
    if plan.options:
        options = Table(title=f"Options ({plan.jurisdiction.upper()})", expand=True)
        for col in ("#", "regimen", "why", "cautions and dose changes"):
            options.add_column(col, overflow="fold", no_wrap=col == "#")
        for o in plan.options:
            ev = o.evidence[0] if o.evidence else None
            name = f"[bold]{o.id}[/bold]\n{o.name}" + (f"\n{ev.trial}" if ev else "")
            options.add_row(
                str(o.rank),
                name,
                "\n".join(f"- {r}" for r in o.rationale),
                "\n".join(f"- {c}" for c in [*o.cautions, *o.dose_adjustments]) or "-",
            )
        parts.append(options)
    if plan.not_recommended:
        excluded = Table(title="Not recommended", expand=True)
        excluded.add_column("regimen", no_wrap=True)
        excluded.add_column("reasons", overflow="fold")
        for x in plan.not_recommended:
            excluded.add_row(x.id, "\n".join(f"- {r}" for r in x.reasons))
        parts.append(excluded)
    if plan.trials:
        trials = Table(title="Clinical trials (best matches)", expand=True)
        for col in ("NCT id", "verdict", "criteria", "nearest open site"):
            trials.add_column(col, overflow="fold")
        for t in plan.trials:
            counts = {k: sum(c.status == k for c in t.criteria) for k in ("met", "unknown", "not_met")}
            site = t.nearest_site
            trials.add_row(
                f"{t.nct_id}\n{t.title}" if t.title != t.nct_id else t.nct_id,
                t.verdict,
                f"{counts['met']} met, {counts['unknown']} to check, {counts['not_met']} not met",
                f"{site.city or '?'} ({site.distance_km:g} km)" if site else "-",
            )
        parts.append(trials)
    if plan.supportive_care:
        parts.append(
            Text("Supportive care:\n" + "\n".join(f"- {c.item}: {c.reason}" for c in plan.supportive_care))
        )
    parts.extend(interaction_parts(plan.interactions))
    if plan.warnings:
        parts.append(Text("Warnings:\n" + "\n".join(f"- {w}" for w in plan.warnings), style="yellow"))
    kb = plan.knowledge_base
    console.print(
        Panel(Group(*parts), title=f"rrmm plan (knowledge base {kb.version}, reviewed {kb.reviewed})")
    )


def _interaction_line(i: InteractionOut) -> str:
    return f"- {i.pair}: {i.action_words}. {i.text} [{i.source}]"


def interaction_parts(r: InteractionsOut) -> list[Text]:
    """The patient's other medicines against the myeloma drugs: given now, then per option."""
    parts: list[Text] = []
    if r.medicines:
        meds = ", ".join(m.name + ("" if m.taken_now else " (stopped)") for m in r.medicines)
        parts.append(Text(f"Other medicines: {meds}"))
    if r.current:
        parts.append(
            Text(
                "Interactions with the drugs given now:\n"
                + "\n".join(_interaction_line(i) for i in r.current),
                style="bold",
            )
        )
    by_row: dict[InteractionOut, list[str]] = {}
    for option, found in r.options.items():
        for row in found:
            if row not in r.current:
                by_row.setdefault(row, []).append(option)
    if by_row:
        parts.append(
            Text(
                "Interactions of the options:\n"
                + "\n".join(f"{_interaction_line(i)} (with {', '.join(o)})" for i, o in by_row.items())
            )
        )
    if r.notes:
        parts.append(
            Text("Interactions not checked:\n" + "\n".join(f"- {n}" for n in r.notes), style="yellow")
        )
    return parts


def render_regimens(kb: KnowledgeBase, console: Console) -> None:
    """The knowledge base's regimens, one line each."""
    table = Table(
        title=f"Regimens (knowledge base {kb.info.version}, reviewed {kb.info.reviewed})", expand=True
    )
    for col in ("id", "name", "category", "US", "EU", "pivotal study"):
        table.add_column(col, overflow="fold")
    for r in kb.regimens:
        status = {
            j: ", ".join(sorted({i.status.replace("_", " ") for i in r.indication(j)})) or "-"
            for j in ("us", "eu")
        }
        study = ", ".join(e.trial for e in r.evidence) or "-"
        table.add_row(r.id, r.name, r.category, status["us"], status["eu"], study)
    console.print(table)


def render_regimen(r: Regimen, console: Console) -> None:
    """One regimen in full: components, indications, evidence, rules."""
    out = Table.grid(padding=(0, 2))
    out.add_column(style="bold")
    out.add_column()
    out.add_row("Regimen", f"{r.id}: {r.name} ({r.category})")
    for c in r.components:
        out.add_row("", f"{c.drug}: {c.dose or ''} {c.schedule or ''}".strip())
    for i in r.indications:
        extra = f" [{i.source.text}]"
        out.add_row(f"{i.jurisdiction.upper()} {i.status}", i.text + extra)
    for e in r.evidence:
        pfs = (
            "not reached"
            if e.median_pfs_not_reached
            else (f"{e.median_pfs_months:g} mo" if e.median_pfs_months else "?")
        )
        comp = (
            f" vs {e.comparator_median_pfs_months:g} mo ({e.comparator})"
            if e.comparator_median_pfs_months
            else ""
        )
        orr = f"ORR {e.orr:.0%}" if e.orr is not None else "ORR ?"
        out.add_row(
            e.trial, f"phase {e.phase}, n={e.n or '?'}, {orr}, median PFS {pfs}{comp}; {e.source.text}"
        )
    for rule in r.rules:
        out.add_row(rule.effect, f"{rule.text} when {rule.when.describe()}")
    if r.requires is not None:
        out.add_row("requires", f"{r.requires_text} ({r.requires.describe()})")
    console.print(Panel(out))


_MARK = {"met": "[green]met[/green]", "not_met": "[red]not met[/red]", "unknown": "[yellow]unknown[/yellow]"}


def render_trials(trials: list[TrialOut], console: Console) -> None:
    """Trial matches, best first, each with its criteria and their status."""
    for t in trials:
        head = f"{t.nct_id}  {t.verdict.upper()}  ({t.status}, phase {t.phase}, score {t.score:g})"
        site = t.nearest_site
        where = (
            f"\nnearest open site: {site.facility or '?'}, {site.city or '?'} ({site.distance_km:g} km)"
            if site
            else ""
        )
        table = Table(expand=True, show_header=True)
        table.add_column("section", no_wrap=True)
        table.add_column("criterion", overflow="fold")
        table.add_column("status", no_wrap=True)
        table.add_column("because", overflow="fold")
        order = {"not_met": 0, "unknown": 1, "met": 2}
        for c in sorted(t.criteria, key=lambda c: order[c.status]):
            table.add_row(c.section, c.text, _MARK[c.status], c.reason)
        console.print(Panel(Group(Text(t.title + where), table), title=head))


def render_toxicity(t: ToxicityOut, console: Console) -> None:
    """Grades, actions per drug, supportive care and symptom trends, for the nurse and the pharmacist."""
    grades = Table(title=f"Current toxicity (as of {t.as_of})", expand=True)
    for col in ("toxicity", "grade", "from"):
        grades.add_column(col, overflow="fold")
    for g in t.grades:
        grades.add_row(g.term, str(g.grade), g.detail)
    actions = Table(title="Drugs given now: what the label says", expand=True)
    for col in ("drug", "action", "why", "source"):
        actions.add_column(col, overflow="fold")
    for a in t.actions:
        what = (
            a.action
            + (f" to {a.dose_level}" if a.dose_level else "")
            + (f" until {a.until}" if a.until else "")
        )
        actions.add_row(a.drug, what, a.reason, a.source)
    trends = Table(title="Symptoms", expand=True)
    for col in ("topic", "reports (date: severity 0-4)", "trend"):
        trends.add_column(col, overflow="fold")
    for tr in t.trends:
        trends.add_row(
            tr.topic.replace("_", " "), ", ".join(f"{d}: {v}" for d, v in tr.series[-6:]) or "-", tr.trend
        )
    parts: list[Table | Text] = [grades, actions, trends]
    if t.organ_function:
        parts.append(
            Text(
                "Kidney and liver function, label dose rules for the drugs given now:\n"
                + "\n".join(
                    f"- {o.drug} ({o.status}): {o.text} [{o.reason}; {o.source}]" for o in t.organ_function
                )
            )
        )
    if t.supportive_care:
        parts.append(
            Text(
                "Supportive care:\n"
                + "\n".join(f"- [{c.topic}] {c.item}: {c.reason}" for c in t.supportive_care)
            )
        )
    if t.notes:
        parts.append(Text("Notes:\n" + "\n".join(f"- {n}" for n in t.notes), style="yellow"))
    console.print(Panel(Group(*parts), title="rrmm toxicity"))
