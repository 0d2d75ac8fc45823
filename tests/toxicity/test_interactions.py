"""The interaction engine on a small hand-written knowledge base (the packaged label rows are tested in
tests/knowledge/test_interaction_data.py): which medicines count, how a row matches, what is reported as
not checked, and the loader's errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from builders import course, make_record
from rrmm.knowledge import KnowledgeError
from rrmm.knowledge.interactions import InteractionKnowledge, load_interaction_knowledge
from rrmm.record import RecordError
from rrmm.toxicity.interactions import interaction_report, interactions_with, taken_now

SOURCE = {
    "text": "fixture label",
    "url": "https://example.org/label",
    "checked": "fixture, not a real source",
}
AS_OF = dt.date(2024, 6, 1)


def write_kb(root: Path, classes: dict[str, Any], drugs: dict[str, dict[str, Any]]) -> InteractionKnowledge:
    (root / "drugs").mkdir(parents=True, exist_ok=True)
    (root / "classes.yaml").write_text(yaml.safe_dump(classes))
    for name, table in drugs.items():
        (root / "drugs" / f"{name}.yaml").write_text(yaml.safe_dump(table))
    return load_interaction_knowledge(root)  # type: ignore[arg-type]


CLASSES = {
    "classes": [
        {
            "id": "strong_cyp1a2_inhibitor",
            "name": "strong CYP1A2 inhibitor",
            "source": SOURCE,
            "members": [{"drug": "fluvoxamine"}, {"drug": "ciprofloxacin"}],
        },
        {
            "id": "strong_cyp3a_inducer",
            "name": "strong CYP3A inducer",
            "source": SOURCE,
            "members": [{"drug": "rifampin"}],
        },
    ],
    "names": [{"drug": "fluvoxamine", "names": ["Luvox"]}],
}
DRUGS = {
    "pomalidomide": {
        "drug": "pomalidomide",
        "label": SOURCE,
        "rows": [
            {
                "with_class": "strong_cyp1a2_inhibitor",
                "action": "reduce_dose",
                "text": "reduce the dose by half (fixture)",
                "source": SOURCE,
            }
        ],
    },
    "lenalidomide": {
        "drug": "lenalidomide",
        "label": SOURCE,
        "rows": [
            {
                "with_drug": "digoxin",
                "action": "monitor",
                "text": "monitor digoxin (fixture)",
                "source": SOURCE,
            }
        ],
    },
    "ixazomib": {
        "drug": "ixazomib",
        "label": SOURCE,
        "rows": [
            {
                "with_class": "strong_cyp3a_inducer",
                "action": "avoid",
                "text": "avoid strong CYP3A inducers (fixture)",
                "source": SOURCE,
            }
        ],
    },
    "daratumumab": {"drug": "daratumumab", "label": SOURCE, "rows": [], "notes": ["none expected (fixture)"]},
}


@pytest.fixture
def kb(tmp_path: Path) -> InteractionKnowledge:
    return write_kb(tmp_path, CLASSES, DRUGS)


def patient(*medications: dict[str, Any], therapies: list[dict[str, Any]] | None = None):
    return make_record(
        as_of=AS_OF.isoformat(),
        therapies=therapies or [course("pomalidomide", "2024-01-01"), course("dexamethasone", "2024-01-01")],
        medications=list(medications),
    )


class TestCurrentTherapy:
    def test_a_class_member_taken_now_meets_the_row(self, kb):
        record = patient({"name": "fluvoxamine", "start": "2023-01-01"})
        report = interaction_report(record, AS_OF, ["dexamethasone", "pomalidomide"], {}, kb)
        [found] = report.current
        assert (found.drug, found.medicine, found.via, found.action) == (
            "pomalidomide",
            "fluvoxamine",
            "strong CYP1A2 inhibitor",
            "reduce_dose",
        )
        assert found.source == "fixture label"

    def test_a_brand_name_resolves(self, kb):
        record = patient({"name": "LUVOX"})
        [found] = interaction_report(record, AS_OF, ["pomalidomide"], {}, kb).current
        assert found.medicine == "LUVOX" and found.action == "reduce_dose"

    def test_a_medicine_stopped_before_the_record_date_does_not_count(self, kb):
        record = patient({"name": "fluvoxamine", "start": "2023-01-01", "end": "2024-05-31"})
        report = interaction_report(record, AS_OF, ["pomalidomide"], {}, kb)
        assert report.current == () and report.medicines[0].taken_now is False
        on_the_day = patient({"name": "fluvoxamine", "start": "2023-01-01", "end": "2024-06-01"})
        assert interaction_report(on_the_day, AS_OF, ["pomalidomide"], {}, kb).current

    def test_a_medicine_not_yet_started_does_not_count(self, kb):
        med = patient({"name": "fluvoxamine"}).medications[0]
        assert taken_now(med, AS_OF)
        assert not taken_now(med.model_copy(update={"start": dt.date(2024, 6, 2)}), AS_OF)

    def test_a_named_drug_row(self, kb):
        record = patient({"name": "digoxin"}, therapies=[course("lenalidomide", "2024-01-01")])
        [found] = interaction_report(record, AS_OF, ["lenalidomide"], {}, kb).current
        assert (found.via, found.action) == ("itself", "monitor")

    def test_the_most_restrictive_action_first(self, kb):
        meds = [medicine_check("digoxin", ()), medicine_check("rifampin", ("strong_cyp3a_inducer",))]
        found = interactions_with(["lenalidomide", "ixazomib"], meds, kb)
        assert [i.action for i in found] == ["avoid", "monitor"]


def medicine_check(inn: str, classes: tuple[str, ...]):
    from rrmm.toxicity.interactions import MedicineCheck

    return MedicineCheck(inn, inn, classes, True, True)


class TestNothingIsSilent:
    def test_no_medicines_recorded(self, kb):
        report = interaction_report(patient(), AS_OF, ["pomalidomide"], {}, kb)
        assert report.current == ()
        assert report.notes == (
            "no other medicines are recorded: drug interactions were not checked (record them under "
            "medications, or import the EHR's medication list)",
        )

    def test_an_unknown_medicine_is_not_checked(self, kb):
        report = interaction_report(patient({"name": "Zorbexatin"}), AS_OF, ["pomalidomide"], {}, kb)
        assert report.medicines[0].checked is False and report.medicines[0].inn is None
        assert any("'Zorbexatin' is not in rrmm's interaction tables" in n for n in report.notes)

    def test_a_myeloma_drug_without_a_table_is_named(self, kb):
        report = interaction_report(
            patient({"name": "fluvoxamine"}),
            AS_OF,
            ["pomalidomide", "dexamethasone"],
            {"IsaPd": ["isatuximab"]},
            kb,
        )
        assert "no interaction table for dexamethasone, isatuximab: their interactions were not checked" in (
            report.notes
        )

    def test_a_table_without_rows_is_checked_and_quiet(self, kb):
        report = interaction_report(patient({"name": "fluvoxamine"}), AS_OF, ["daratumumab"], {}, kb)
        assert report.current == () and not any("daratumumab" in n for n in report.notes)


class TestOptions:
    def test_each_option_gets_its_own_interactions(self, kb):
        record = patient({"name": "rifampin"}, {"name": "fluvoxamine"})
        report = interaction_report(
            record,
            AS_OF,
            [],
            {"IRd": ["ixazomib", "lenalidomide", "dexamethasone"], "DPd": ["pomalidomide"]},
            kb,
        )
        assert [(i.drug, i.medicine, i.action) for i in report.by_option["IRd"]] == [
            ("ixazomib", "rifampin", "avoid")
        ]
        assert [(i.drug, i.medicine) for i in report.by_option["DPd"]] == [("pomalidomide", "fluvoxamine")]

    def test_an_option_without_interactions_is_absent(self, kb):
        report = interaction_report(patient({"name": "digoxin"}), AS_OF, [], {"DPd": ["pomalidomide"]}, kb)
        assert report.by_option == {}


class TestRecord:
    def test_a_myeloma_drug_is_refused_as_another_medicine(self):
        with pytest.raises(RecordError) as caught:
            make_record(medications=[{"name": "fluvoxamine"}, {"name": "Revlimid"}])
        assert caught.value.path == "medications[1].name" and "therapies" in caught.value.message

    def test_end_before_start(self):
        with pytest.raises(RecordError) as caught:
            make_record(medications=[{"name": "fluvoxamine", "start": "2020-02-01", "end": "2020-01-01"}])
        assert caught.value.path == "medications[0].end"

    def test_a_record_without_medicines_dumps_as_schema_version_1(self):
        assert "medications" not in make_record().model_dump(mode="json", exclude_defaults=True)


class TestLoader:
    def test_a_row_naming_a_class_without_members_is_a_review_item(self, tmp_path: Path):
        row = {
            "with_class": "cyp_substrate_narrow",
            "action": "monitor",
            "text": "Monitor CYP substrates during CRS (fixture).",
            "source": SOURCE,
        }
        kb = write_kb(
            tmp_path, CLASSES, {"teclistamab": {"drug": "teclistamab", "label": SOURCE, "rows": [row]}}
        )
        record = patient({"name": "fluvoxamine"}, {"name": "Zorbexatin", "end": "2024-01-01"})
        report = interaction_report(record, AS_OF, ["teclistamab"], {"Tec": ["teclistamab"]}, kb)
        assert report.current == ()
        assert (
            "teclistamab (given now; in Tec): Monitor CYP substrates during CRS (fixture). rrmm does not "
            "list which medicines are CYP substrates with a narrow therapeutic index: review fluvoxamine "
            "(fixture label)"
        ) in report.notes

    def test_one_name_for_two_medicines_is_refused(self, tmp_path: Path):
        classes = {
            **CLASSES,
            "names": [{"drug": "fluvoxamine", "names": ["X1"]}, {"drug": "rifampin", "names": ["x1"]}],
        }
        with pytest.raises(KnowledgeError, match="means both"):
            write_kb(tmp_path, classes, {})

    def test_a_row_names_a_class_or_a_drug_not_both(self, tmp_path: Path):
        row = {**DRUGS["lenalidomide"]["rows"][0], "with_class": "strong_cyp1a2_inhibitor"}
        with pytest.raises(KnowledgeError, match="either with_class or with_drug"):
            write_kb(tmp_path, CLASSES, {"lenalidomide": {**DRUGS["lenalidomide"], "rows": [row]}})


@pytest.mark.parametrize(
    ("text", "inn"),
    [
        ("fluvoxamine", "fluvoxamine"),
        ("Fluvoxamine maleate 50 mg tablet", "fluvoxamine"),
        ("LUVOX 100MG", "fluvoxamine"),
        ("rifampin 300 mg capsule", "rifampin"),
        ("50 mg fluvoxamine", None),  # the name must lead
        ("fluvoxamine-like tablet", None),
        ("zorbexatin 10 mg", None),
    ],
)
def test_a_charts_medicine_text_resolves_by_its_leading_words(kb, text: str, inn: str | None):
    assert kb.resolve(text) == inn


def test_a_row_naming_a_myeloma_drug_is_refused(tmp_path: Path):
    row = {"with_drug": "bortezomib", "action": "monitor", "text": "neuropathy (fixture)", "source": SOURCE}
    with pytest.raises(KnowledgeError, match="'bortezomib' is a myeloma drug"):
        write_kb(tmp_path, CLASSES, {"thalidomide": {"drug": "thalidomide", "label": SOURCE, "rows": [row]}})
