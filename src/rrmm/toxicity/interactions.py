"""Drug interactions: the patient's other medicines (``record.medications``) against the myeloma drugs given
now and against the drugs of each proposed option, by the label rows of
:mod:`rrmm.knowledge.interactions` (a row names an interaction class, such as "strong CYP1A2 inhibitor", or
one medicine).

Nothing is silent: a medicine the tables do not know, a myeloma drug without an interaction table, and a
record without medicines are each reported as not checked. An interaction is a caution for the care team
(what the label says to do); it does not remove or re-rank an option, because the other medicine can often
be changed instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rrmm.knowledge.interactions import InteractionKnowledge
from rrmm.knowledge.interactions_schema import ACTION_ORDER, CLASS_NAMES, Action, InteractionRow
from rrmm.record import Medication, Record

__all__ = [
    "Interaction",
    "InteractionReport",
    "MedicineCheck",
    "interaction_report",
    "interactions_with",
    "taken_now",
]


@dataclass(frozen=True)
class MedicineCheck:
    """One medicine of the record: what the tables know of it."""

    name: str
    inn: str | None
    classes: tuple[str, ...]
    taken_now: bool
    checked: bool


@dataclass(frozen=True)
class Interaction:
    """A label row that applies: myeloma ``drug`` with the record's ``medicine`` (via a class or itself)."""

    drug: str
    medicine: str
    via: str
    action: Action
    text: str
    source: str


@dataclass(frozen=True)
class InteractionReport:
    medicines: tuple[MedicineCheck, ...]
    current: tuple[Interaction, ...]
    by_option: Mapping[str, tuple[Interaction, ...]]
    notes: tuple[str, ...]


def taken_now(medication: Medication, as_of: dt.date) -> bool:
    """Taken at ``as_of``: started by then (or no start given) and not ended before it."""
    started = medication.start is None or medication.start <= as_of
    return started and (medication.end is None or medication.end >= as_of)


def _source(row: InteractionRow) -> str:
    return row.source.text + (f", {row.source.section}" if row.source.section else "")


def interactions_with(
    drugs: Iterable[str], medicines: Sequence[MedicineCheck], knowledge: InteractionKnowledge
) -> list[Interaction]:
    """Every label row of ``drugs`` that one of the (known, taken now) ``medicines`` meets, the most
    restrictive action first."""
    found: list[Interaction] = []
    for drug in sorted(set(drugs)):
        table = knowledge.drug_tables.get(drug)
        if table is None:
            continue
        for med in medicines:
            if med.inn is None or not med.taken_now:
                continue
            for row in table.rows:
                if row.with_drug is not None and row.with_drug == med.inn:
                    via = "itself"
                elif row.with_class is not None and row.with_class in med.classes:
                    via = knowledge.classes[row.with_class].name
                else:
                    continue
                found.append(Interaction(drug, med.name, via, row.action, row.text, _source(row)))
    found.sort(key=lambda i: (ACTION_ORDER.index(i.action), i.drug, i.medicine))
    return found


def _medicines(record: Record, as_of: dt.date, knowledge: InteractionKnowledge) -> list[MedicineCheck]:
    out = []
    for m in record.medications:
        inn = knowledge.resolve(m.name)
        classes = knowledge.classes_of(inn) if inn else ()
        listed = inn is not None and (bool(classes) or _named_by_a_row(inn, knowledge))
        out.append(MedicineCheck(m.name, inn if listed else None, classes, taken_now(m, as_of), listed))
    return out


def _named_by_a_row(inn: str, knowledge: InteractionKnowledge) -> bool:
    return any(r.with_drug == inn for t in knowledge.drug_tables.values() for r in t.rows)


def _review_items(
    drugs: Sequence[str],
    current_drugs: Sequence[str],
    option_drugs: Mapping[str, Sequence[str]],
    taking: Sequence[str],
    knowledge: InteractionKnowledge,
) -> list[str]:
    """The rows of ``drugs`` naming a class whose members rrmm does not list: each is a review item for the
    medicines taken now, naming where the drug comes from (given now, or which options)."""
    items = []
    for drug in drugs:
        table = knowledge.drug_tables.get(drug)
        for row in table.rows if table else ():
            if row.with_class is None or row.with_class in knowledge.classes:
                continue
            where = ["given now"] if drug in current_drugs else []
            options = [o for o, ds in option_drugs.items() if drug in ds]
            if options:
                where.append("in " + ", ".join(options))
            items.append(
                f"{drug} ({'; '.join(where)}): {row.text} rrmm does not list which medicines are "
                f"{CLASS_NAMES[row.with_class]}: review {', '.join(taking)} ({_source(row)})"
            )
    return items


def interaction_report(
    record: Record,
    as_of: dt.date,
    current_drugs: Sequence[str],
    option_drugs: Mapping[str, Sequence[str]],
    knowledge: InteractionKnowledge,
) -> InteractionReport:
    """The interactions of the medicines taken now with ``current_drugs`` (the myeloma drugs given now) and
    with each option's drugs (``option_drugs``: option id -> its drugs), and what could not be checked."""
    medicines = _medicines(record, as_of, knowledge)
    notes: list[str] = []
    if not record.medications:
        notes.append(
            "no other medicines are recorded: drug interactions were not checked (record them under "
            "medications, or import the EHR's medication list)"
        )
    for med in medicines:
        if med.taken_now and not med.checked:
            notes.append(
                f"{med.name!r} is not in rrmm's interaction tables: its interactions were not checked "
                "(a pharmacist should review it)"
            )
    drugs = sorted({*current_drugs, *(d for ds in option_drugs.values() for d in ds)})
    if record.medications:
        missing = [d for d in drugs if d not in knowledge.drug_tables]
        if missing:
            notes.append(
                "no interaction table for " + ", ".join(missing) + ": their interactions were not checked"
            )
    taking = [m.name for m in medicines if m.taken_now]
    if taking:
        notes.extend(_review_items(drugs, current_drugs, option_drugs, taking, knowledge))
    current = tuple(interactions_with(current_drugs, medicines, knowledge))
    by_option = {
        option: tuple(found)
        for option, drugs in option_drugs.items()
        if (found := interactions_with(drugs, medicines, knowledge))
    }
    return InteractionReport(tuple(medicines), current, by_option, tuple(notes))
