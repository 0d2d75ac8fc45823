"""Import of FHIR R4 bundles in the shapes EHRs send (``examples/fhir/``) and of hand-built edge cases.

The expected values are worked by hand from the bundles: unit conversions by the molar masses and factors
named beside them; courses from the administration dates and the 30-day DRUG_ERA persistence window.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from rrmm.fhir.importer import ADMINISTRATION_GAP_DAYS, FhirImportError, abnormality_from_text, import_bundle

EXAMPLES = Path(__file__).parents[2] / "examples" / "fhir"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"


def load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture(scope="module")
def searchset():
    return import_bundle(load("ehr-searchset.json"))


def lab_values(record, test):
    return [(lab.date.isoformat(), round(lab.value, 3)) for lab in record.labs if lab.test == test]


class TestEhrSearchset:
    def test_patient(self, searchset):
        r = searchset.record
        assert (r.id, r.sex, r.birth_date, r.as_of) == (
            "pt-8842",
            "female",
            dt.date(1958, 4, 17),
            dt.date(2024, 6, 1),  # Bundle.timestamp, the day as written
        )
        assert r.location.postal_code == "43210" and r.location.latitude == pytest.approx(39.9995)

    def test_diagnosis_from_snomed_and_icd10(self, searchset):
        r = searchset.record
        assert r.diagnosis.date == dt.date(2019, 3, 14)  # onsetDateTime 2019-03-14T10:20:00-04:00
        assert r.diagnosis.plasma_cell_leukemia is False  # a refuted C90.10 condition

    def test_labs_in_ucum_variants_convert_to_canonical_units(self, searchset):
        r = searchset.record
        assert lab_values(r, "m_protein_serum") == [("2023-02-15", 1.9), ("2024-05-28", 0.4)]  # 19 g/L
        assert lab_values(r, "flc_lambda") == [("2024-05-28", 12.0)]  # 1.2 mg/dL = 12 mg/L
        # calcium 2.35 mmol/L x 40.08 g/mol = 94.188 mg/L = 9.4188 mg/dL
        assert lab_values(r, "calcium") == [("2024-05-28", 9.419)]
        # creatinine 106 umol/L x 113.12 g/mol = 11.99 mg/L = 1.199 mg/dL
        assert lab_values(r, "creatinine") == [("2024-05-28", 1.199)]
        assert lab_values(r, "platelets") == [("2024-05-28", 88.0)]  # 88 x 10*3/uL = 88 x 10^9/L
        (ldh,) = [lab for lab in r.labs if lab.test == "ldh"]
        assert ldh.upper_limit_normal == 225.0  # referenceRange.high

    def test_body_measures_in_us_units(self, searchset):
        r = searchset.record
        assert r.weight_kg == pytest.approx(154.3 * 0.45359237)
        assert r.height_cm == pytest.approx(64 * 2.54)

    def test_cytogenetics_from_mcode_genomic_variant_and_from_text(self, searchset):
        found = {(c.abnormality, c.present, c.method) for c in searchset.record.cytogenetics}
        assert found == {("t(11;14)", True, "FISH"), ("del(17p)", False, "FISH")}

    def test_administrations_become_courses(self, searchset):
        courses = {
            (t.drug, t.start.isoformat(), t.end and t.end.isoformat()) for t in searchset.record.therapies
        }
        # 16 weekly bortezomib doses from 2019-03-25: one course to the last dose, 2019-07-08
        assert ("bortezomib", "2019-03-25", "2019-07-08") in courses
        # daratumumab weekly, every 2 and every 4 weeks (gaps <= 28 days): one course; the last dose on
        # 2024-02-28 is more than 30 days before 2024-06-01, so the course has ended
        assert ("daratumumab", "2023-03-01", "2024-02-28") in courses

    def test_statements_requests_and_medication_references(self, searchset):
        by_start = {(t.drug, t.start.isoformat()): t for t in searchset.record.therapies}
        maintenance = by_start[("lenalidomide", "2019-12-02")]  # via Medication 'Revlimid'
        assert maintenance.end == dt.date(2023, 2, 20) and maintenance.stop_reason == "progression"
        assert (maintenance.dose, maintenance.dose_unit) == (10.0, "mg")
        assert by_start[("pomalidomide", "2023-03-01")].end is None  # NDC display 'Pomalyst', active
        dex = by_start[("dexamethasone", "2019-03-25")]  # request boundsPeriod
        assert dex.end == dt.date(2019, 7, 14)

    def test_transplant_progression_comorbidity(self, searchset):
        r = searchset.record
        assert [(t.date.isoformat(), t.type) for t in r.transplants] == [("2019-09-10", "autologous")]
        assert [(e.date.isoformat(), e.type) for e in r.events] == [("2023-02-15", "progression")]
        assert [(c.condition, c.since) for c in r.comorbidities] == [("diabetes", dt.date(2012, 6, 1))]

    def test_adverse_events_graded_from_severity(self, searchset):
        events = {(a.term, a.grade, a.attributed_to) for a in searchset.record.adverse_events}
        assert events == {
            ("Peripheral sensory neuropathy", 2, ("bortezomib",)),  # moderate = CTCAE grade 2
            ("Neutrophil count decreased", 3, ("pomalidomide",)),  # severe = grade 3 (or 4: warned)
        }

    def test_every_unmapped_entry_is_a_warning(self, searchset):
        flagged = {w.resource for w in searchset.warnings}
        assert {
            "OperationOutcome/oo-1",
            "Condition/cond-htn",  # SNOMED essential hypertension: not a record comorbidity
            "Observation/obs-glu",  # glucose: not a record lab
            "Immunization/imm-flu",
        } <= flagged
        assert any("grade 4" in w.message for w in searchset.warnings if w.resource == "AdverseEvent/ae-neut")

    def test_other_medicines_are_the_records_medications(self, searchset):
        """Requests of medicines that are not myeloma drugs (acyclovir, fluvoxamine) are the record's other
        medicines, by their chart text, for the interaction check; not warnings."""
        assert [(m.name, m.start, m.end) for m in searchset.record.medications] == [
            ("acyclovir 400 mg tablet", dt.date(2023, 3, 1), None),
            ("Fluvoxamine maleate 50 mg tablet", dt.date(2024, 2, 12), None),
        ]
        flagged = {w.resource for w in searchset.warnings}
        assert not flagged & {"MedicationRequest/mr-acv", "MedicationRequest/mr-flv"}

    def test_the_imported_record_plans(self, searchset):
        from rrmm.planning import build_plan

        plan = build_plan(searchset.record, "us", ())
        assert plan.disease.lines_of_therapy == 2 and "lenalidomide" in plan.disease.refractory_drugs


class TestTransaction:
    def test_references_by_urn_uuid_and_codes_without_dot(self):
        result = import_bundle(load("transaction-new-patient.json"))
        r = result.record
        assert r.id == "4f1c2a9e-0d6b-4c55-9a40-6a2f0c1b7e01"  # from the fullUrl, with a warning
        assert any("fullUrl" in w.message for w in result.warnings)
        assert r.diagnosis.date == dt.date(2021, 5, 3)  # ICD-10-CM C9000 = C90.00
        assert [c.condition for c in r.comorbidities] == ["chronic_kidney_disease"]
        assert {(t.drug, t.end) for t in r.therapies} == {("carfilzomib", None), ("dexamethasone", None)}
        assert [p.ecog for p in r.performance_status] == [2]  # "ECOG 2 - Ambulatory, ..."


def minimal(*resources: dict) -> dict:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1950-01-01"}
    myeloma = {
        "resourceType": "Condition",
        "id": "mm",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C90.00"}]},
        "subject": {"reference": "Patient/p1"},
        "onsetDateTime": "2020-01-01",
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": "2024-01-01T00:00:00Z",
        "entry": [{"resource": r} for r in (patient, myeloma, *resources)],
    }


def administration(i: int, day: str, drug_code: str = "358258") -> dict:
    return {
        "resourceType": "MedicationAdministration",
        "id": f"a{i}",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": RX, "code": drug_code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": day,
    }


class TestAdministrationCourses:
    def test_a_gap_of_30_days_stays_one_course(self):
        start = dt.date(2023, 1, 1)
        gap = start + dt.timedelta(days=ADMINISTRATION_GAP_DAYS)
        r = import_bundle(
            minimal(administration(0, start.isoformat()), administration(1, gap.isoformat()))
        ).record
        assert [(t.start, t.end) for t in r.therapies] == [(start, gap)]

    def test_a_gap_of_31_days_starts_a_new_course(self):
        start = dt.date(2023, 1, 1)
        later = start + dt.timedelta(days=ADMINISTRATION_GAP_DAYS + 1)
        r = import_bundle(
            minimal(administration(0, start.isoformat()), administration(1, later.isoformat()))
        ).record
        assert [(t.start, t.end) for t in r.therapies] == [(start, start), (later, later)]

    def test_a_recent_last_dose_is_ongoing(self):
        result = import_bundle(minimal(administration(0, "2023-12-01"), administration(1, "2023-12-15")))
        assert [(t.start.isoformat(), t.end) for t in result.record.therapies] == [("2023-12-01", None)]
        assert any("ongoing" in w.message for w in result.warnings)


class TestErrors:
    def test_end_before_start_names_the_resource(self):
        statement = {
            "resourceType": "MedicationStatement",
            "id": "ms-bad",
            "status": "completed",
            "medicationCodeableConcept": {"text": "lenalidomide"},
            "subject": {"reference": "Patient/p1"},
            "effectivePeriod": {"start": "2023-05-01", "end": "2023-04-01"},
        }
        with pytest.raises(FhirImportError) as e:
            import_bundle(minimal(statement))
        assert e.value.resource == "MedicationStatement/ms-bad" and "before it starts" in e.value.message

    def test_invalid_fhir_names_the_resource(self):
        bad = {"resourceType": "Observation", "id": "o1", "status": "final", "code": "not a concept"}
        with pytest.raises(FhirImportError) as e:
            import_bundle(minimal(bad))
        assert e.value.resource == "Observation/o1" and "not valid FHIR" in e.value.message

    def test_record_rule_broken_names_the_resource(self):
        # a lab after the bundle's timestamp breaks the record's date rule: the error names the Observation
        obs = {
            "resourceType": "Observation",
            "id": "late",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2024-02-01",
            "valueQuantity": {
                "value": 11,
                "unit": "g/dL",
                "system": "http://unitsofmeasure.org",
                "code": "g/dL",
            },
        }
        with pytest.raises(FhirImportError) as e:
            import_bundle(minimal(obs))
        assert e.value.resource == "Observation/late" and "labs[0].date" in e.value.message

    @pytest.mark.parametrize(
        ("change", "where"),
        [
            (lambda b: b["entry"].pop(0), "Bundle"),  # no Patient
            (lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])), "Bundle"),  # two Patients
            (lambda b: b.update(type="history"), "Bundle"),
            (lambda b: b["entry"].pop(1), "Bundle"),  # no myeloma condition
        ],
    )
    def test_bundle_level_errors(self, change, where):
        bundle = minimal()
        change(bundle)
        with pytest.raises(FhirImportError) as e:
            import_bundle(bundle)
        assert e.value.resource == where

    def test_not_a_bundle(self):
        with pytest.raises(FhirImportError):
            import_bundle({"resourceType": "Patient", "id": "x"})


class TestWarnings:
    def test_another_patients_resource_is_skipped(self):
        other = administration(0, "2023-01-01")
        other["subject"] = {"reference": "Patient/someone-else"}
        result = import_bundle(minimal(other))
        assert result.record.therapies == ()
        assert [w.resource for w in result.warnings] == ["MedicationAdministration/a0"]

    def test_unknown_adverse_event_term_and_fatal_outcome(self):
        unknown = {
            "resourceType": "AdverseEvent",
            "id": "u",
            "actuality": "actual",
            "subject": {"reference": "Patient/p1"},
            "event": {"text": "Feeling odd"},
            "date": "2023-01-01",
        }
        fatal = {
            "resourceType": "AdverseEvent",
            "id": "f",
            "actuality": "actual",
            "subject": {"reference": "Patient/p1"},
            "event": {"text": "Sepsis"},
            "date": "2023-06-01",
            "outcome": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome", "code": "fatal"}
                ]
            },
        }
        result = import_bundle(minimal(unknown, fatal))
        assert [(a.term, a.grade) for a in result.record.adverse_events] == [("Sepsis", 5)]
        assert any(w.resource == "AdverseEvent/u" and "CTCAE" in w.message for w in result.warnings)

    def test_mrd_as_a_percentage_is_not_guessed(self):
        mrd = {
            "resourceType": "Observation",
            "id": "mrd",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "93021-4"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2023-06-01",
            "valueQuantity": {"value": 0.001, "unit": "%"},
        }
        result = import_bundle(minimal(mrd))
        assert result.record.findings == ()
        assert any(w.resource == "Observation/mrd" for w in result.warnings)


@pytest.mark.parametrize(
    ("text", "abnormality"),
    [
        ("t(4;14)(p16;q32)", "t(4;14)"),
        ("TP53 mutation detected", "TP53 mutation"),
        ("gain of 1q (3 copies)", "gain(1q)"),
        ("1q amplification (>= 4 copies)", "amp(1q)"),
        ("deletion 1p32", "del(1p)"),
        ("hyperdiploid karyotype", "hyperdiploidy"),
        ("normal karyotype", None),
    ],
)
def test_abnormality_from_text(text, abnormality):
    assert abnormality_from_text(text) == abnormality
