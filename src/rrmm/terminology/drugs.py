"""The anti-myeloma drug vocabulary: INN, class, modality, brand names and abbreviations.

Drug names in a record are lowercase INN (``../shared/contracts/README.md``, "Vocabularies"). Importers and
hand-written records use brand names (Revlimid) and abbreviations (dara, cilta-cel); :func:`resolve` maps
them to the INN and rejects anything it does not know.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DrugClass = Literal[
    "PI",
    "IMiD",
    "anti-CD38",
    "anti-SLAMF7",
    "XPO1",
    "BCL2",
    "BCMA",
    "GPRC5D",
    "FcRH5",
    "alkylator",
    "anthracycline",
    "HDAC",
    "corticosteroid",
]
Modality = Literal["CAR-T", "bispecific", "ADC"]

DRUG_CLASSES: tuple[str, ...] = get_args(DrugClass)
MODALITIES: tuple[str, ...] = get_args(Modality)


class UnknownDrugError(ValueError):
    """A drug name that is neither an INN nor a known brand name or abbreviation."""


class Drug(BaseModel):
    """One drug of the vocabulary."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    inn: str = Field(pattern=r"^[a-z0-9][a-z0-9 \-]*$")
    drug_class: DrugClass | None = Field(alias="class")
    modality: Modality | None = None
    role: Literal["anti-myeloma", "supportive"] = "anti-myeloma"
    brands: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _modality_only_for_targets(self) -> Drug:
        if self.modality is not None and self.drug_class not in ("BCMA", "GPRC5D", "FcRH5"):
            raise ValueError(f"{self.inn}: a modality is given only to BCMA, GPRC5D and FcRH5 agents")
        return self

    @property
    def is_corticosteroid(self) -> bool:
        return self.drug_class == "corticosteroid"

    @property
    def is_anti_myeloma(self) -> bool:
        """Counts towards lines of therapy and exposure (corticosteroids count only beside another drug)."""
        return self.role == "anti-myeloma"

    @property
    def is_cell_therapy(self) -> bool:
        return self.modality == "CAR-T"


def _key(name: str) -> str:
    """Case-, space- and hyphen-insensitive lookup key; drops trademark signs."""
    name = name.replace("®", "").replace("™", "").strip().lower()
    return re.sub(r"[\s\-_]+", " ", name)


class DrugVocabulary:
    """The validated drug table with lookups by INN, brand name or abbreviation."""

    def __init__(self, version: str, drugs: list[Drug]) -> None:
        self.version = version
        self._by_inn: dict[str, Drug] = {}
        self._by_name: dict[str, str] = {}
        for drug in drugs:
            if drug.inn in self._by_inn:
                raise ValueError(f"drug {drug.inn!r} is listed twice")
            self._by_inn[drug.inn] = drug
            for name in (drug.inn, *drug.brands, *drug.aliases):
                key = _key(name)
                known = self._by_name.get(key)
                if known is not None and known != drug.inn:
                    raise ValueError(f"name {name!r} is given to both {known!r} and {drug.inn!r}")
                self._by_name[key] = drug.inn

    def resolve(self, name: str) -> str:
        """The INN for a drug name, brand name or abbreviation; :class:`UnknownDrugError` otherwise."""
        inn = self._by_name.get(_key(name))
        if inn is None:
            raise UnknownDrugError(
                f"unknown drug {name!r}: give the lowercase INN (e.g. 'lenalidomide') or a known brand name"
            )
        return inn

    def __getitem__(self, inn: str) -> Drug:
        return self._by_inn[inn]

    def __contains__(self, inn: object) -> bool:
        return inn in self._by_inn

    def __iter__(self) -> object:
        return iter(self._by_inn.values())

    def drugs(self) -> list[Drug]:
        return list(self._by_inn.values())

    def drug_class(self, inn: str) -> str | None:
        return self._by_inn[inn].drug_class

    def in_class(self, drug_class: str) -> frozenset[str]:
        return frozenset(d.inn for d in self._by_inn.values() if d.drug_class == drug_class)


class _DrugFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    drugs: list[Drug]


def load_drug_vocabulary(text: str) -> DrugVocabulary:
    """Parse and validate a drug file (the YAML of ``data/drugs.yaml``)."""
    parsed = _DrugFile.model_validate(yaml.safe_load(text))
    return DrugVocabulary(parsed.version, parsed.drugs)


@cache
def drug_vocabulary() -> DrugVocabulary:
    """The packaged drug vocabulary, loaded and validated once."""
    text = resources.files("rrmm.terminology").joinpath("data/drugs.yaml").read_text(encoding="utf-8")
    return load_drug_vocabulary(text)
