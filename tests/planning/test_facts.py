"""Three-valued evaluation of the knowledge base's conditions against a patient."""

from __future__ import annotations

from builders import course, lab, make_record, regimen
from rrmm.clinical.state import disease_state
from rrmm.knowledge.conditions import parse_condition
from rrmm.planning.facts import PatientFacts, evaluate


def facts(**fields) -> PatientFacts:
    record = make_record(**fields)
    return PatientFacts(state=disease_state(record), record=record)


def answer(raw, f: PatientFacts, drugs=()):
    return evaluate(parse_condition(raw), f, drugs).value


LEN_REFRACTORY = dict(
    therapies=regimen(
        ["daratumumab", "lenalidomide", "dexamethasone"],
        "2019-02-01",
        "2021-01-01",
        stop_reason="progression",
    ),
)


def test_tokens_match_drugs_classes_and_modalities():
    f = facts(**LEN_REFRACTORY)
    assert answer({"refractory": "lenalidomide"}, f) is True
    assert answer({"refractory": "IMiD"}, f) is True
    assert answer({"exposed": "PI"}, f) is False
    assert answer({"exposed": "corticosteroid"}, f) is False  # steroids are never an exposure
    assert answer({"refractory_in_class": {"class": "IMiD", "at_least": 2}}, f) is False


def test_unknown_propagates_through_all_any_not():
    f = facts(**LEN_REFRACTORY)  # no creatinine: creatinine clearance unknown
    assert answer({"crcl": {"below": 30}}, f) is None
    assert answer({"not": {"crcl": {"below": 30}}}, f) is None
    assert answer({"all": [{"crcl": {"below": 30}}, {"exposed": "PI"}]}, f) is False  # one false decides
    assert answer({"all": [{"crcl": {"below": 30}}, {"exposed": "IMiD"}]}, f) is None
    assert answer({"any": [{"crcl": {"below": 30}}, {"exposed": "IMiD"}]}, f) is True  # one true decides
    assert answer({"any": [{"crcl": {"below": 30}}, {"exposed": "PI"}]}, f) is None


def test_kidney_from_cockcroft_gault():
    # 65-year-old 70 kg man, creatinine 2.0 mg/dL: (140-65) x 70 / (72 x 2.0) = 36.5 mL/min
    f = facts(weight_kg=70, labs=[lab("creatinine", "2020-12-01", 2.0, "mg/dL")], **LEN_REFRACTORY)
    assert answer({"crcl": {"below": 60}}, f) is True
    assert answer({"crcl": {"below": 30}}, f) is False


def test_lab_against_its_upper_limit_of_normal():
    bili = [lab("bilirubin", "2020-12-01", 2.0, "mg/dL", upper_limit_normal=1.2)]
    f = facts(labs=bili, **LEN_REFRACTORY)
    assert answer({"lab": {"test": "bilirubin", "above_uln_times": 1.5}}, f) is True  # 2.0 / 1.2 = 1.67
    assert answer({"lab": {"test": "bilirubin", "above_uln_times": 3}}, f) is False
    no_uln = facts(labs=[lab("bilirubin", "2020-12-01", 2.0, "mg/dL")], **LEN_REFRACTORY)
    assert answer({"lab": {"test": "bilirubin", "above_uln_times": 1.5}}, no_uln) is None


def test_neuropathy_grade_from_comorbidity_or_ongoing_adverse_event():
    assert answer({"neuropathy_grade": {"at_least": 2}}, facts(**LEN_REFRACTORY)) is False
    ae = [{"term": "Peripheral sensory neuropathy", "grade": 3, "onset": "2020-06-01"}]
    assert answer({"neuropathy_grade": {"at_least": 3}}, facts(adverse_events=ae, **LEN_REFRACTORY)) is True
    resolved = [{**ae[0], "resolved": "2020-09-01"}]
    assert (
        answer({"neuropathy_grade": {"at_least": 3}}, facts(adverse_events=resolved, **LEN_REFRACTORY))
        is False
    )


def test_remission_after_transplant():
    therapies = [
        *regimen(["bortezomib", "lenalidomide", "dexamethasone"], "2018-01-01", "2018-05-01"),
        course("melphalan", "2018-06-01", "2018-06-01"),
        course("lenalidomide", "2018-09-01", "2021-01-01", setting="maintenance", stop_reason="progression"),
    ]
    f = facts(therapies=therapies, transplants=[{"date": "2018-06-03", "type": "autologous"}])
    # progression recorded at the last maintenance dose, 31 months after the transplant
    assert answer({"months_from_transplant_to_progression": {"at_least": 18}}, f) is True
    assert answer({"months_from_transplant_to_progression": {"at_least": 36}}, f) is False


def test_diagnosis_flag_not_recorded_is_unknown():
    assert answer({"diagnosis": "plasma_cell_leukemia"}, facts(**LEN_REFRACTORY)) is None
    pcl = facts(diagnosis={"date": "2019-01-01", "plasma_cell_leukemia": True}, **LEN_REFRACTORY)
    assert answer({"diagnosis": "plasma_cell_leukemia"}, pcl) is True


def test_regimen_has_looks_at_the_regimen_not_the_patient():
    f = facts(**LEN_REFRACTORY)
    assert answer({"regimen_has": "bispecific"}, f, ["teclistamab"]) is True
    assert answer({"regimen_has": "IMiD"}, f, ["carfilzomib", "dexamethasone"]) is False


def test_on_therapy_and_symptom_conditions():
    rec_fields = dict(
        therapies=[*regimen(["pomalidomide", "dexamethasone"], "2020-01-01")],
        symptoms=[{"date": "2020-02-01", "symptom": "fatigue", "severity": 3}],
    )
    f = facts(**rec_fields)
    assert answer({"on_therapy": "IMiD"}, f) is True
    assert answer({"on_therapy": "PI"}, f) is False
    assert answer({"symptom": {"symptom": "fatigue", "at_least": 2}}, f) is True
    assert answer({"symptom": {"symptom": "bone_pain", "at_least": 1}}, f) is None  # never reported
