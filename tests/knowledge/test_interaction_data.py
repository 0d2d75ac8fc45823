"""The packaged interaction knowledge against the labels it was read from: each case is a sentence of a
label (quoted in the row's ``checked``), checked through the engine with a patient taking the medicine."""

from __future__ import annotations

import datetime as dt

import pytest

from builders import course, make_record
from rrmm.knowledge import knowledge_base
from rrmm.knowledge.interactions import interaction_knowledge
from rrmm.knowledge.interactions_schema import CLASS_NAMES
from rrmm.toxicity.interactions import interaction_report

AS_OF = dt.date(2024, 6, 1)


def on(drug: str, medicine: str):
    record = make_record(
        as_of=AS_OF.isoformat(), therapies=[course(drug, "2024-01-01")], medications=[{"name": medicine}]
    )
    return interaction_report(record, AS_OF, [drug], {}, interaction_knowledge())


@pytest.mark.parametrize(
    ("drug", "medicine", "via", "action"),
    [
        # Imnovid SmPC 4.5: with strong CYP1A2 inhibitors (e.g. ciprofloxacin, enoxacin, fluvoxamine) reduce
        # the pomalidomide dose by 50%
        ("pomalidomide", "fluvoxamine", "strong CYP1A2 inhibitor", "reduce_dose"),
        ("pomalidomide", "Cipro 500 mg tablet", "strong CYP1A2 inhibitor", "reduce_dose"),
        # Ninlaro SmPC 4.5: strong CYP3A inducers (rifampicin cut ixazomib AUC by 74%) are not recommended
        ("ixazomib", "Rifampin 300 mg capsule", "strong CYP3A inducer", "avoid"),
        ("ixazomib", "carbamazepine", "strong CYP3A inducer", "avoid"),
        # Revlimid US PI 7: periodic monitoring of digoxin levels; close PT/INR monitoring with warfarin
        ("lenalidomide", "digoxin", "itself", "monitor"),
        ("lenalidomide", "warfarin", "itself", "monitor"),
        # Venclexta US PI (CLL table): strong CYP3A inhibitors after ramp-up: 100 mg; P-gp inhibitors: reduce
        # by at least 50%; avoid strong and moderate CYP3A inducers
        ("venetoclax", "posaconazole", "strong CYP3A inhibitor", "reduce_dose"),
        ("venetoclax", "dronedarone", "P-gp inhibitor", "reduce_dose"),
        ("venetoclax", "Tegretol", "strong CYP3A inducer", "avoid"),
        ("venetoclax", "efavirenz", "moderate CYP3A inducer", "avoid"),
        # Alkeran: nephrotoxicity with ciclosporin after high-dose melphalan conditioning
        ("melphalan", "cyclosporine", "itself", "monitor"),
    ],
)
def test_label_interactions(drug: str, medicine: str, via: str, action: str):
    found = [(i.via, i.action) for i in on(drug, medicine).current]
    assert (via, action) in found


def test_a_medicine_in_two_classes_meets_both_rows():
    """Ketoconazole is a strong CYP3A inhibitor and a P-gp inhibitor: venetoclax has a row for each."""
    vias = {i.via for i in on("venetoclax", "ketoconazole").current}
    assert vias == {"strong CYP3A inhibitor", "P-gp inhibitor"}


@pytest.mark.parametrize(
    ("drug", "medicine"),
    [
        ("pomalidomide", "ketoconazole"),  # Imnovid SmPC: ketoconazole alone had no relevant effect
        ("ixazomib", "clarithromycin"),  # Ninlaro SmPC: no dose change with strong CYP3A inhibitors
        ("daratumumab", "fluvoxamine"),  # Darzalex: no interaction expected (table without rows)
    ],
)
def test_what_the_labels_say_does_not_interact(drug: str, medicine: str):
    report = on(drug, medicine)
    assert report.current == ()
    assert not any(drug in n for n in report.notes)


def test_the_bispecific_cytokine_warning_is_a_review_item():
    """The teclistamab label names CYP substrates with a narrow therapeutic index without a list: rrmm
    cannot match them, so it asks for a review of what the patient takes."""
    report = on("teclistamab", "digoxin")
    assert report.current == ()
    [item] = [n for n in report.notes if n.startswith("teclistamab (given now)")]
    assert "review digoxin" in item


def test_every_regimen_drug_has_a_table_or_is_named_as_unchecked():
    tables = interaction_knowledge().drug_tables
    drugs = {d for r in knowledge_base().regimens for d in r.drugs}
    missing = drugs - set(tables)
    record = make_record(as_of=AS_OF.isoformat(), therapies=[], medications=[{"name": "fluvoxamine"}])
    report = interaction_report(record, AS_OF, [], {"all": sorted(drugs)}, interaction_knowledge())
    if missing:
        assert any(all(d in n for d in missing) and "not checked" in n for n in report.notes)


def test_every_row_cites_a_checked_source_and_every_class_is_named():
    k = interaction_knowledge()
    for table in k.drug_tables.values():
        for row in table.rows:
            assert row.source.checked.startswith("2026-11"), (table.drug, row.text)
            assert row.with_class is None or row.with_class in CLASS_NAMES
    for entry in k.classes.values():
        assert entry.source.checked and entry.members
