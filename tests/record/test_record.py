"""The record: schema-conformant validation, unit normalisation, drug names, consistent dates."""

from __future__ import annotations

import json

import pytest

from builders import course, lab, make_record, record_dict
from rrmm.record import RecordError, record_from_json, record_from_mapping


def error_of(**fields) -> RecordError:
    with pytest.raises(RecordError) as caught:
        record_from_mapping(record_dict(**fields))
    return caught.value


class TestUnits:
    @pytest.mark.parametrize(
        ("test", "value", "unit", "canonical", "unit_out"),
        [
            ("m_protein_serum", 25.0, "g/L", 2.5, "g/dL"),
            ("creatinine", 88.4, "umol/L", 1.0, "mg/dL"),  # creatinine 113.12 g/mol: 88.4 umol/L = 1 mg/dL
            ("creatinine", 265.2, "µmol/L", 3.0, "mg/dL"),
            ("flc_kappa", 12.0, "mg/dL", 120.0, "mg/L"),
            ("calcium", 2.5, "mmol/L", 10.02, "mg/dL"),  # calcium 40.08 g/mol
            ("albumin", 35.0, "g/L", 3.5, "g/dL"),
            ("anc", 1500.0, "/uL", 1.5, "10^9/L"),
            ("platelets", 75.0, "10^3/uL", 75.0, "10^9/L"),
            ("m_protein_urine_24h", 0.45, "g/24h", 450.0, "mg/24h"),
            ("igg", 4.0, "g/L", 400.0, "mg/dL"),
            ("ldh", 4.0, "ukat/L", 240.0, "U/L"),  # 1 ukat = 60 U (umol/min)
            ("bilirubin", 34.2, "umol/L", 2.0, "mg/dL"),  # bilirubin 584.7 g/mol
        ],
    )
    def test_converted_to_the_canonical_unit(self, test, value, unit, canonical, unit_out):
        rec = make_record(labs=[lab(test, "2019-01-01", value, unit)])
        assert rec.labs[0].value == pytest.approx(canonical, rel=2e-3)
        assert rec.labs[0].unit == unit_out

    def test_upper_limit_of_normal_is_converted_with_its_value(self):
        rec = make_record(labs=[lab("ldh", "2019-01-01", 5.0, "ukat/L", upper_limit_normal=4.0)])
        assert rec.labs[0].value == pytest.approx(300.0)
        assert rec.labs[0].upper_limit_normal == pytest.approx(240.0)

    @pytest.mark.parametrize(
        "unit", ["U/L", "furlongs", "g/dL/s", "%", ")", "10**10**10", "10^(10^10)", "x" * 40]
    )
    def test_a_unit_that_does_not_convert_names_the_entry(self, unit):
        err = error_of(
            labs=[lab("hemoglobin", "2019-01-01", 11.0, "g/dL"), lab("creatinine", "2019-01-01", 1, unit)]
        )
        assert err.path == "labs[1].unit"
        assert unit in err.message


class TestDrugNames:
    @pytest.mark.parametrize(
        ("name", "inn"),
        [
            ("Revlimid", "lenalidomide"),
            ("Velcade", "bortezomib"),
            ("Kyprolis", "carfilzomib"),
            ("Darzalex", "daratumumab"),
            ("Darzalex Faspro", "daratumumab"),
            ("Sarclisa", "isatuximab"),
            ("Empliciti", "elotuzumab"),
            ("Pomalyst", "pomalidomide"),
            ("Xpovio", "selinexor"),
            ("Ninlaro", "ixazomib"),
            ("Carvykti", "ciltacabtagene autoleucel"),
            ("Abecma", "idecabtagene vicleucel"),
            ("Tecvayli", "teclistamab"),
            ("Elrexfio", "elranatamab"),
            ("Talvey", "talquetamab"),
            ("Lynozyfic", "linvoseltamab"),
            ("Blenrep", "belantamab mafodotin"),
            ("Venclexta", "venetoclax"),
            ("dex", "dexamethasone"),
            ("cilta-cel", "ciltacabtagene autoleucel"),
            ("ide-cel", "idecabtagene vicleucel"),
            ("REVLIMID®", "lenalidomide"),
            ("Lenalidomide", "lenalidomide"),
        ],
    )
    def test_brand_names_and_abbreviations_resolve_to_the_inn(self, name, inn):
        assert make_record(therapies=[course(name, "2019-02-01")]).therapies[0].drug == inn

    def test_an_unknown_drug_is_an_error_naming_the_entry(self):
        err = error_of(therapies=[course("lenalidomide", "2019-02-01"), course("revlimidd", "2019-02-01")])
        assert err.path == "therapies[1].drug"
        assert "revlimidd" in err.message


class TestDates:
    def test_end_before_start(self):
        err = error_of(therapies=[course("bortezomib", "2019-02-01", "2019-01-31")])
        assert err.path == "therapies[0].end"

    def test_nothing_after_as_of(self):
        err = error_of(as_of="2020-01-01", labs=[lab("hemoglobin", "2020-01-02", 11.0, "g/dL")])
        assert err.path == "labs[0].date"

    def test_as_of_defaults_to_the_latest_date(self):
        rec = make_record(therapies=[course("bortezomib", "2019-02-01", "2019-06-01")])
        assert rec.evaluation_date.isoformat() == "2019-06-01"

    @pytest.mark.parametrize(
        "bad", ["2019-02-30", "2019/02/01", "01-02-2019", "2019-02-01T10:00:00", 20190201]
    )
    def test_a_malformed_date_is_an_error(self, bad):
        err = error_of(therapies=[course("bortezomib", bad)])
        assert err.path == "therapies[0].start"

    def test_resolved_before_onset(self):
        err = error_of(
            adverse_events=[{"term": "Fatigue", "grade": 2, "onset": "2019-05-01", "resolved": "2019-04-01"}]
        )
        assert err.path == "adverse_events[0].resolved"

    def test_age_from_birth_date(self):
        rec = make_record(age=None, birth_date="1950-06-15", as_of="2020-06-14")
        assert rec.age_at(rec.evaluation_date) == 69


class TestShape:
    def test_missing_required_field(self):
        data = record_dict()
        del data["sex"]
        with pytest.raises(RecordError) as caught:
            record_from_mapping(data)
        assert caught.value.path == "sex"

    def test_unknown_field(self):
        assert error_of(smoker=True).path == "smoker"

    @pytest.mark.parametrize(
        ("fields", "path"),
        [
            ({"age": "70"}, "age"),
            ({"age": 70.5}, "age"),
            ({"weight_kg": True}, "weight_kg"),
            ({"performance_status": [{"date": "2019-01-01", "ecog": 5}]}, "performance_status[0].ecog"),
            ({"labs": [lab("hemoglobin", "2019-01-01", -1.0, "g/dL")]}, "labs[0].value"),
            (
                {"cytogenetics": [{"date": "2019-01-01", "abnormality": "del(13q)", "present": True}]},
                "cytogenetics[0].abnormality",
            ),
            ({"sex": "M"}, "sex"),
            ({"diagnosis": {}}, "diagnosis.date"),
        ],
    )
    def test_wrong_types_and_values_name_the_field(self, fields, path):
        assert error_of(**fields).path == path

    def test_schema_version_must_be_1(self):
        with pytest.raises(RecordError) as caught:
            record_from_mapping(record_dict(schema_version="2"))
        assert caught.value.path == "schema_version"

    def test_truncated_json(self):
        text = json.dumps(record_dict())[:-10]
        with pytest.raises(RecordError, match="not valid JSON"):
            record_from_json(text)

    def test_a_validated_record_is_still_a_record_of_the_schema(self):
        rec = make_record(labs=[lab("creatinine", "2019-01-01", 100.0, "umol/L")])
        again = record_from_mapping(rec.model_dump(mode="json", exclude_none=True))
        assert again == rec


class TestAdverseEvents:
    def test_terms_resolve_to_ctcae_terms(self):
        rec = make_record(adverse_events=[{"term": "CRS", "grade": 2, "onset": "2019-05-01"}])
        assert rec.adverse_events[0].term == "Cytokine release syndrome"

    def test_an_unknown_term_names_the_entry(self):
        err = error_of(
            adverse_events=[
                {"term": "Fatigue", "grade": 1, "onset": "2019-05-01"},
                {"term": "Feeling unwell", "grade": 1, "onset": "2019-05-01"},
            ]
        )
        assert err.path == "adverse_events[1].term" and "Feeling unwell" in err.message

    def test_an_impossible_grade_names_the_entry(self):
        # CTCAE v5.0 grades fatigue 1-3 only
        err = error_of(adverse_events=[{"term": "Fatigue", "grade": 4, "onset": "2019-05-01"}])
        assert err.path == "adverse_events[0].grade" and "1-3" in err.message
