"""Schema of the drug-interaction knowledge (``data/interactions/``): the patient's other medicines against
the myeloma drugs given now and those of each option.

Files, each validated at load:

- ``classes.yaml``: the interaction classes (``strong_cyp3a_inhibitor``, ...), each with the medicines that
  belong to it and the source that lists them (the FDA table of clinical index inhibitors and inducers, or
  the examples a label names), and the medicines' other names (brands) so that a record's free text
  resolves;
- ``drugs/<inn>.yaml``: one myeloma drug's label rows, each naming a class or one medicine, what to do
  (avoid, reduce the dose, adjust, monitor) and the label section it was read in.

A medicine of the record that no file names is reported as "not checked", never as "no interaction". A
row naming a class whose members ``classes.yaml`` does not list (labels say "CYP substrates with a narrow
therapeutic index" without a list) cannot be matched: it is reported as a review item for the medicines
taken now.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from rrmm.knowledge.schema import Source, _Model
from rrmm.terminology import drug_vocabulary

#: The classes a label row may name (a medicine belongs to one or more, in ``classes.yaml``).
InteractionClass = Literal[
    "strong_cyp3a_inhibitor",
    "moderate_cyp3a_inhibitor",
    "strong_cyp3a_inducer",
    "moderate_cyp3a_inducer",
    "strong_cyp1a2_inhibitor",
    "p_gp_inhibitor",
    "p_gp_substrate_narrow",
    "cyp_substrate_narrow",
    "qt_prolonging",
]
#: How each class is said (for a row whose class has no member list in ``classes.yaml``).
CLASS_NAMES: dict[str, str] = {
    "strong_cyp3a_inhibitor": "strong CYP3A inhibitors",
    "moderate_cyp3a_inhibitor": "moderate CYP3A inhibitors",
    "strong_cyp3a_inducer": "strong CYP3A inducers",
    "moderate_cyp3a_inducer": "moderate CYP3A inducers",
    "strong_cyp1a2_inhibitor": "strong CYP1A2 inhibitors",
    "p_gp_inhibitor": "P-gp inhibitors",
    "p_gp_substrate_narrow": "P-gp substrates with a narrow therapeutic index",
    "cyp_substrate_narrow": "CYP substrates with a narrow therapeutic index",
    "qt_prolonging": "QT-prolonging medicines",
}
Action = Literal["avoid", "reduce_dose", "adjust_dose", "monitor", "separate"]
#: How a row's action ranks (the first is the most restrictive).
ACTION_ORDER: tuple[Action, ...] = ("avoid", "reduce_dose", "adjust_dose", "separate", "monitor")

_NAME = re.compile(r"^[a-z][a-z0-9 \-]*[a-z0-9]$")


class Member(_Model):
    """A medicine of a class, as the source names it (lowercase INN)."""

    drug: str = Field(pattern=_NAME.pattern)
    source: Source | None = Field(default=None, description="When not the class's own source")


class InteractionClassEntry(_Model):
    id: InteractionClass
    name: str = Field(min_length=3, description="As a pharmacist says it: 'strong CYP3A inhibitor'")
    source: Source
    members: tuple[Member, ...] = Field(min_length=1)
    notes: tuple[str, ...] = ()

    @field_validator("members")
    @classmethod
    def _unique(cls, members: tuple[Member, ...]) -> tuple[Member, ...]:
        names = [m.drug for m in members]
        if len(names) != len(set(names)):
            raise ValueError("a medicine is listed twice in one class")
        return members


class MedicineNames(_Model):
    """The other names of a medicine (brands, abbreviations) that resolve to its INN."""

    drug: str = Field(pattern=_NAME.pattern)
    names: tuple[str, ...] = Field(min_length=1)
    source: Source | None = Field(default=None, description="Where the names were confirmed")


class ClassesFile(_Model):
    classes: tuple[InteractionClassEntry, ...]
    names: tuple[MedicineNames, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> ClassesFile:
        ids = [c.id for c in self.classes]
        if len(ids) != len(set(ids)):
            raise ValueError("a class is defined twice")
        seen: dict[str, str] = {}
        for entry in self.names:
            for name in (entry.drug, *entry.names):
                key = name.casefold()
                if seen.get(key, entry.drug) != entry.drug:
                    raise ValueError(f"the name {name!r} means both {seen[key]!r} and {entry.drug!r}")
                seen[key] = entry.drug
        return self


class InteractionRow(_Model):
    """One row of a label's interaction advice: the other medicine (a class or one medicine), the action
    and its text as the label gives it."""

    with_class: InteractionClass | None = None
    with_drug: str | None = Field(default=None, pattern=_NAME.pattern)
    action: Action
    text: str = Field(min_length=10, description="What to do, in the label's words (paraphrased closely)")
    source: Source

    @model_validator(mode="after")
    def _one_target(self) -> InteractionRow:
        if (self.with_class is None) == (self.with_drug is None):
            raise ValueError("a row names either with_class or with_drug")
        return self


class DrugInteractions(_Model):
    """One myeloma drug's interaction rows (``drugs/<inn>.yaml``). ``rows`` may be empty when the label says
    no clinically relevant interaction is expected; ``notes`` says so and what was not read."""

    drug: str
    label: Source
    rows: tuple[InteractionRow, ...] = ()
    notes: tuple[str, ...] = ()

    @field_validator("drug")
    @classmethod
    def _known(cls, drug: str) -> str:
        if drug_vocabulary().resolve(drug) != drug:
            raise ValueError(f"{drug!r} is not an INN of the drug vocabulary")
        return drug
