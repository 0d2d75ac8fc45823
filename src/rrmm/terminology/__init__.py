"""Controlled vocabularies shared by every layer: drug names, classes and modalities.

The data lives in ``data/*.yaml`` and is validated when first used.
"""

from rrmm.terminology.ctcae import CtcaeEntry, CtcaeVocabulary, UnknownTermError, ctcae_vocabulary
from rrmm.terminology.drugs import (
    DRUG_CLASSES,
    MODALITIES,
    Drug,
    DrugVocabulary,
    UnknownDrugError,
    drug_vocabulary,
)

__all__ = [
    "DRUG_CLASSES",
    "MODALITIES",
    "CtcaeEntry",
    "CtcaeVocabulary",
    "Drug",
    "DrugVocabulary",
    "UnknownDrugError",
    "UnknownTermError",
    "ctcae_vocabulary",
    "drug_vocabulary",
]
