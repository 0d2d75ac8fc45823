"""The patient summary: plain language (measured), top options named with how given, no new figures."""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from html.parser import HTMLParser

from rrmm.knowledge import knowledge_base
from rrmm.knowledge.schema import Category, DrugFacts
from rrmm.knowledge.toxicity_schema import SymptomTopic, Toxicity
from rrmm.planning import build_plan
from rrmm.planning.plan import Plan
from rrmm.record import Record, record_from_mapping
from rrmm.record.models import Symptom
from rrmm.report.patient import PATIENT_TOP, and_list, patient_summary_html, plain_name, wording

#: Abbreviations a patient should never meet unexplained.
ABBREVIATIONS = (
    "ASCT",
    "CRS",
    "ICANS",
    "ORR",
    "PFS",
    "HR",
    "ECOG",
    "ISS",
    "IMiD",
    "PI",
    "BCMA",
    "GPRC5D",
    "CAR-T",
    "VTE",
    "CrCl",
    "eGFR",
    "MRD",
    "FLC",
    "PD",
    "SD",
    "VGPR",
    "SC",
    "IV",
    "REMS",
    "ULN",
    "ANC",
    "mg",
    "mL",
)
BLOCKS = {"p", "li", "h1", "h2", "h3", "dt", "dd", "title"}


class _Blocks(HTMLParser):
    """Visible text per block element; ``dt`` terms (the glossary's explained words) kept apart."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[tuple[str, str]] = []
        self.stack: list[str] = []
        self.skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self.skip = True
        if tag in BLOCKS:
            self.stack.append(tag)
            self.blocks.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.skip = False
        if tag in BLOCKS and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.skip or not self.stack or not self.blocks:
            return
        tag, text = self.blocks[-1]
        self.blocks[-1] = (tag, text + data)


def _blocks(html: str) -> list[tuple[str, str]]:
    b = _Blocks()
    b.feed(html)
    return [(tag, " ".join(text.split())) for tag, text in b.blocks if text.strip()]


def _sentences(html: str) -> list[str]:
    """Sentences of the running text (p, li, dd): a block ends a sentence; inside it, . ! ? and a space do."""
    out: list[str] = []
    for tag, text in _blocks(html):
        if tag not in ("p", "li", "dd"):
            continue  # headings and glossary terms are labels, not sentences
        out.extend(s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip())
    return out


def _unexplained(html: str) -> list[str]:
    """Listed abbreviations outside a glossary term and without '(explanation)' after them."""
    found = []
    for tag, text in _blocks(html):
        if tag == "dt":
            continue  # a glossary entry: the term is explained in the dd that follows
        for abbr in ABBREVIATIONS:
            for m in re.finditer(rf"(?<![\w-]){re.escape(abbr)}(?![\w-])", text):
                if not text[m.end() :].startswith(" ("):
                    found.append(f"{abbr} in: {text}")
    return found


def test_no_unexplained_abbreviations(example: tuple[Record, Plan]) -> None:
    record, plan = example
    assert _unexplained(patient_summary_html(plan, record)) == []


def test_abbreviation_check_can_fail() -> None:
    assert _unexplained("<p>Side effects include CRS and a longer PFS.</p>") == [
        "CRS in: Side effects include CRS and a longer PFS.",
        "PFS in: Side effects include CRS and a longer PFS.",
    ]
    assert _unexplained("<dl><dt>CAR-T cell therapy</dt><dd>a cell therapy.</dd></dl>") == []


def test_average_sentence_is_short(example: tuple[Record, Plan]) -> None:
    record, plan = example
    sentences = _sentences(patient_summary_html(plan, record))
    lengths = [len(s.split()) for s in sentences]
    assert len(sentences) > 20
    assert sum(lengths) / len(lengths) < 20
    assert max(lengths) <= 35  # no sentence that a reader has to take apart


def test_names_each_top_option_and_how_it_is_given(example: tuple[Record, Plan]) -> None:
    record, plan = example
    html = patient_summary_html(plan, record)
    drugs = knowledge_base().drugs
    w = wording()
    top = plan.options[:PATIENT_TOP]
    assert len(top) == PATIENT_TOP
    for rank, o in enumerate(top, start=1):
        assert f"{rank}. {plain_name(o)}." in html
        assert o.name.split("(")[0].strip() in html
        for inn in o.drugs:
            ways = w.route_joiner.join(w.route[r] for r in drugs[inn].route)
            assert f"{inn[:1].upper()}{inn[1:]}: {ways}." in html


def test_routes_in_daily_words(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, plan = load("triple-class-refractory")
    html = patient_summary_html(plan, record)
    assert [o.id for o in plan.options[:3]] == ["cilta-cel", "ide-cel", "clinical-trial"]
    assert (
        "Ciltacabtagene autoleucel: a one-off drip of your own changed cells, in a specialist centre." in html
    )
    assert "This is a cell therapy. It is made from your own immune cells." in html
    assert "This means taking part in a clinical trial." in html
    assert "How long would I need to stay nearby?" in html  # cell therapy is among the top options

    record, plan = load("frail-elderly")
    html = patient_summary_html(plan, record)
    assert plan.options[0].id == "SVd"
    assert "Selinexor: tablets or capsules you take at home." in html
    assert "Bortezomib: a drip into a vein in hospital or clinic, or an injection under the skin." in html
    assert "cell therapy? How long" not in html  # no cell therapy among this patient's top options


def test_disease_state_in_plain_words(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, plan = load("len-refractory-after-one-line")
    html = patient_summary_html(plan, record)
    assert plan.disease.status.value == "relapsed_and_refractory"
    assert plan.disease.refractory_drugs == ["lenalidomide"]
    assert "Your myeloma has come back. It no longer responds to lenalidomide." in html
    assert "You have had 1 line of treatment so far." in html

    record, plan = load("triple-class-refractory")
    html = patient_summary_html(plan, record)
    assert (
        "It no longer responds to carfilzomib, daratumumab, elotuzumab, lenalidomide and pomalidomide."
        in html
    )
    assert "three main groups of myeloma medicines" in html
    assert "You have had 3 lines of treatment so far." in html

    record, plan = load("late-relapse-off-therapy")
    html = patient_summary_html(plan, record)
    assert plan.disease.status.value == "relapsed" and not plan.disease.refractory_drugs
    assert "Your myeloma has come back after a time without treatment." in html
    assert "It no longer responds to" not in html


def test_side_effects_in_simple_words(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, plan = load("neuropathy")
    html = patient_summary_html(plan, record)
    assert {(a.drug, a.action) for a in plan.toxicity.actions} == {
        ("carfilzomib", "continue"),
        ("daratumumab", "continue"),
    }
    assert "Carfilzomib: no change is needed for side effects at the moment." in html
    assert "Your team will decide any change with you." in html
    assert "High blood pressure." in html  # hypertension grade 2 in the plan
    assert "Numbness or tingling: tell your team" in html  # neuropathy supportive care in the plan

    record, plan = load("triple-class-refractory")
    html = patient_summary_html(plan, record)
    worse = {t.symptom for t in plan.toxicity.trends if t.trend == "worsening"}
    assert worse == {"fatigue", "bone_pain"}
    assert "your tiredness has been getting worse" in html
    assert "your bone pain has been getting worse" in html
    assert "A low number of red blood cells (anaemia)." in html


def test_no_figure_that_is_not_in_the_plan(example: tuple[Record, Plan]) -> None:
    record, plan = example
    text = " ".join(t for tag, t in _blocks(patient_summary_html(plan, record)) if tag != "title")
    in_plan = set(re.findall(r"\d+", plan.model_dump_json()))
    assert set(re.findall(r"\d+", text)) <= in_plan


def test_the_team_decides_with_the_patient(example: tuple[Record, Plan]) -> None:
    record, plan = example
    html = patient_summary_html(plan, record)
    assert "It does not decide your treatment. You and your care team decide together." in html
    assert "Questions you may want to ask your care team" in html


def test_autoescape(load: Callable[[str], tuple[Record, Plan]]) -> None:
    record, _ = load("frail-elderly")
    data = record.model_dump(mode="json", exclude_none=True)
    data["id"] = "<script>alert(1)</script>"
    hostile = record_from_mapping(data)
    html = patient_summary_html(build_plan(hostile, "us", ()), hostile)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_wording_covers_every_code() -> None:
    w = wording()
    assert set(typing.get_args(Category)) - {"standard"} <= set(w.category)
    assert {"standard_one", "standard_many"} <= set(w.category)
    route = typing.get_args(DrugFacts.model_fields["route"].annotation)[0]
    assert set(typing.get_args(route)) == set(w.route)
    assert set(typing.get_args(Toxicity)) == set(w.toxicity)
    assert set(typing.get_args(SymptomTopic)) == set(w.care_topic)
    assert set(typing.get_args(Symptom)) == set(w.symptom)
    assert {"primary_refractory", "relapsed_and_refractory", "relapsed", "no_progression", "unknown"} == set(
        w.status
    )
    assert {"continue", "reduce", "hold", "stop"} <= set(w.action)


def test_helpers() -> None:
    assert and_list([]) == "" and and_list(["a"]) == "a" and and_list(["a", "b", "c"]) == "a, b and c"


def test_other_medicines_in_plain_words(load: Callable[[str], tuple[Record, Plan]]) -> None:
    """The plan's interaction with a drug given now becomes one plain sentence; a record without other
    medicines asks the patient to bring a list."""
    record, plan = load("neuropathy")
    html = patient_summary_html(plan, record)
    assert plan.interactions.medicines == [] and "Please bring a list of all your medicines" in html
    data = record.model_dump(mode="json", exclude_defaults=True)
    data["therapies"] = [
        *data["therapies"],
        {"drug": "pomalidomide", "start": data["therapies"][-1]["start"]},
    ]
    data["medications"] = [{"name": "Luvox"}]
    taking = record_from_mapping(data)
    plan = build_plan(taking, "us", ())
    assert [(i.drug, i.action) for i in plan.interactions.current] == [("pomalidomide", "reduce_dose")]
    html = patient_summary_html(plan, taking)
    assert "<li>Luvox, together with pomalidomide.</li>" in html
    assert "Please bring a list" not in html and "Do not stop or change a medicine on your own." in html
