"""Loading the drug-interaction knowledge (``data/interactions/``): classes of interacting medicines and
each myeloma drug's label rows. See :mod:`rrmm.knowledge.interactions_schema`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from rrmm.knowledge import KnowledgeError, _read, _validate, _yaml_files
from rrmm.knowledge.interactions_schema import ClassesFile, DrugInteractions, InteractionClassEntry
from rrmm.terminology import UnknownDrugError, drug_vocabulary


@dataclass(frozen=True)
class InteractionKnowledge:
    classes: dict[str, InteractionClassEntry]
    #: every name (INN, brand, abbreviation; casefolded) of a medicine the tables know -> its INN
    names: dict[str, str]
    drug_tables: dict[str, DrugInteractions]

    def resolve(self, name: str) -> str | None:
        """The INN of a medicine the interaction tables know, or None. A chart's text such as
        "Fluvoxamine maleate 50 mg tablet" is tried whole, then by its leading words before the first that
        holds a digit, longest first ("fluvoxamine maleate", "fluvoxamine")."""
        words = name.casefold().split()
        whole = self.names.get(" ".join(words))
        if whole is not None:
            return whole
        lead: list[str] = []
        for word in words:
            if any(ch.isdigit() for ch in word):
                break
            lead.append(word)
        for n in range(len(lead), 0, -1):
            found = self.names.get(" ".join(lead[:n]))
            if found is not None:
                return found
        return None

    def classes_of(self, inn: str) -> tuple[str, ...]:
        """The interaction classes a medicine belongs to."""
        return tuple(c.id for c in self.classes.values() if any(m.drug == inn for m in c.members))


def load_interaction_knowledge(root: Traversable | None = None) -> InteractionKnowledge:
    """Load and validate ``data/interactions`` (the packaged one unless ``root`` is given); an invalid file
    is an error naming it."""
    root = root or resources.files("rrmm.knowledge").joinpath("data/interactions")
    classes_file = root.joinpath("classes.yaml")
    known = (
        _validate(ClassesFile, _read(classes_file), "interactions/classes.yaml")
        if classes_file.is_file()
        else ClassesFile(classes=())
    )
    classes: dict[str, InteractionClassEntry] = {c.id: c for c in known.classes}
    names: dict[str, str] = {}
    for c in known.classes:
        for m in c.members:
            names[m.drug.casefold()] = m.drug
    for entry in known.names:
        for name in (entry.drug, *entry.names):
            names[" ".join(name.split()).casefold()] = entry.drug
    tables: dict[str, DrugInteractions] = {}
    for f in _yaml_files(root.joinpath("drugs")):
        where = f"interactions/drugs/{f.name}"
        table = _validate(DrugInteractions, _read(f), where)
        if table.drug in tables:
            raise KnowledgeError(f"{where}: rows for {table.drug!r} are given twice")
        for row in table.rows:
            if row.with_drug is not None:
                if _is_myeloma_drug(row.with_drug):
                    raise KnowledgeError(
                        f"{where}: {row.with_drug!r} is a myeloma drug: a record holds it as a therapy, "
                        "not as another medicine, so no interaction row can name it"
                    )
                names.setdefault(row.with_drug, row.with_drug)
        tables[table.drug] = table
    return InteractionKnowledge(classes=classes, names=names, drug_tables=tables)


def _is_myeloma_drug(name: str) -> bool:
    try:
        drug_vocabulary().resolve(name)
    except UnknownDrugError:
        return False
    return True


@cache
def interaction_knowledge() -> InteractionKnowledge:
    """The packaged interaction knowledge, loaded and validated once."""
    return load_interaction_knowledge()
