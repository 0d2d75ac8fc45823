"""The knowledge base loads and validates; a file without its citation, category or indication fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from rrmm.knowledge import KnowledgeError, knowledge_base, load_knowledge_base
from rrmm.knowledge.conditions import ConditionError, parse_condition
from rrmm.terminology import DRUG_CLASSES, MODALITIES, drug_vocabulary

FIXTURE = Path(__file__).parents[1] / "planning" / "fixture_kb"
TOKENS = frozenset({d.inn for d in drug_vocabulary().drugs()} | set(DRUG_CLASSES) | set(MODALITIES))


def test_the_packaged_knowledge_base_validates():
    kb = knowledge_base()
    assert kb.info.version
    for r in kb.regimens:
        assert r.category and r.indications
        for e in r.evidence:
            # a primary publication, or the drug label section that reports the study
            assert e.source.doi or e.source.pmid or (e.source.url and e.source.section), (r.id, e.trial)


def broken(tmp_path: Path, mutate) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    path = root / "regimens" / "xpd.yaml"
    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data))
    return root


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["evidence"][0]["source"].pop("doi"), "a doi, a pmid or a url"),
        (
            lambda d: d["evidence"][0].update(
                source={"text": "a web page", "url": "https://x.org", "checked": "checked"}
            ),
            "DOI or PMID",
        ),
        (lambda d: d.pop("category"), "category"),
        (lambda d: d.update(indications=[]), "indications"),
        (lambda d: d.update(evidence=[]), "cited study"),
        (lambda d: d["indications"][0]["source"].pop("url"), "doi, a pmid or a url"),
        (lambda d: d["components"].append({"drug": "notadrug"}), "notadrug"),
        (lambda d: d["indications"][0].update(requires={"exposed": "kryptonite"}), "kryptonite"),
        (lambda d: d["evidence"][0].update(orr=69), "orr"),
        (lambda d: d["evidence"][0]["source"].pop("checked"), "checked"),
    ],
)
def test_a_regimen_without_what_it_needs_fails_naming_the_file(tmp_path, mutate, message):
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base(broken(tmp_path, mutate))
    assert "xpd.yaml" in str(caught.value)
    assert message in str(caught.value)


def test_the_same_regimen_id_twice_fails(tmp_path):
    root = broken(tmp_path, lambda d: None)
    shutil.copy(root / "regimens" / "xpd.yaml", root / "regimens" / "xpd-copy.yaml")
    with pytest.raises(KnowledgeError, match="used twice"):
        load_knowledge_base(root)


@pytest.mark.parametrize(
    "raw",
    [
        {"exposed": "lenalidomide", "refractory": "PI"},
        {"crcl": {"under": 30}},
        {"crcl": 30},
        {"all": []},
        {"cytogenetics": "t(8;14)"},
        {"comorbidity": "gout"},
        {"lab": {"test": "sodium", "below": 130}},
        {"frailty": True},
    ],
)
def test_malformed_conditions_are_refused(raw):
    with pytest.raises(ConditionError):
        parse_condition(raw, TOKENS)


def test_a_condition_reads_back_as_written():
    raw = {"all": [{"prior_lines": {"at_least": 1}}, {"not": {"exposed": "BCMA"}}, {"crcl": {"below": 30}}]}
    cond = parse_condition(raw, TOKENS)
    assert cond.as_data() == raw
    assert "prior lines" in cond.describe() and "not exposed" in cond.describe()
