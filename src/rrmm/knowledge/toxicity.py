"""Loading the toxicity knowledge (``data/toxicity/``): lab grading, label dose tables, symptom care."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from rrmm.knowledge import KnowledgeError, _read, _validate, _yaml_files
from rrmm.knowledge.toxicity_schema import (
    DrugToxicityTable,
    LabGrading,
    LabGradingFile,
    SymptomCare,
    SymptomCareFile,
)


@dataclass(frozen=True)
class ToxicityKnowledge:
    lab_grading: tuple[LabGrading, ...]
    lab_grading_source: str
    drug_tables: dict[str, DrugToxicityTable]
    symptom_care: tuple[SymptomCare, ...]


def load_toxicity_knowledge(root: Traversable | None = None) -> ToxicityKnowledge:
    """Load and validate ``data/toxicity`` (the packaged one unless ``root`` is given)."""
    root = root or resources.files("rrmm.knowledge").joinpath("data/toxicity")
    grading_file = root.joinpath("lab_grading.yaml")
    grading = (
        _validate(LabGradingFile, _read(grading_file), "toxicity/lab_grading.yaml")
        if grading_file.is_file()
        else None
    )
    tables: dict[str, DrugToxicityTable] = {}
    for f in _yaml_files(root.joinpath("drugs")):
        table = _validate(DrugToxicityTable, _read(f), f"toxicity/drugs/{f.name}")
        if table.drug in tables:
            raise KnowledgeError(f"toxicity/drugs/{f.name}: a table for {table.drug!r} is given twice")
        tables[table.drug] = table
    care_file = root.joinpath("symptom_care.yaml")
    care = (
        _validate(SymptomCareFile, _read(care_file), "toxicity/symptom_care.yaml").items
        if care_file.is_file()
        else ()
    )
    ids = [c.id for c in care]
    if len(ids) != len(set(ids)):
        raise KnowledgeError("toxicity/symptom_care.yaml: item ids repeat")
    return ToxicityKnowledge(
        lab_grading=grading.terms if grading else (),
        lab_grading_source=grading.source.text if grading else "",
        drug_tables=tables,
        symptom_care=care,
    )


@cache
def toxicity_knowledge() -> ToxicityKnowledge:
    """The packaged toxicity knowledge, loaded and validated once."""
    return load_toxicity_knowledge()
