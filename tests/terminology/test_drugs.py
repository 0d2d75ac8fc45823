"""The drug vocabulary: classes as the contract lists them, and a file that contradicts itself is refused."""

from __future__ import annotations

import pytest

from rrmm.terminology import drug_vocabulary
from rrmm.terminology.drugs import load_drug_vocabulary


def test_class_members_are_those_of_the_contract():
    vocab = drug_vocabulary()
    assert vocab.in_class("PI") == {"bortezomib", "carfilzomib", "ixazomib"}
    assert vocab.in_class("IMiD") == {"thalidomide", "lenalidomide", "pomalidomide"}
    assert vocab.in_class("anti-CD38") == {"daratumumab", "isatuximab"}
    assert vocab.in_class("anti-SLAMF7") == {"elotuzumab"}
    assert vocab.in_class("XPO1") == {"selinexor"}
    assert vocab.in_class("BCL2") == {"venetoclax"}


def test_bcma_agents_carry_their_modality():
    vocab = drug_vocabulary()
    modalities = {d: vocab[d].modality for d in vocab.in_class("BCMA")}
    assert modalities["ciltacabtagene autoleucel"] == "CAR-T"
    assert modalities["teclistamab"] == "bispecific"
    assert modalities["belantamab mafodotin"] == "ADC"
    assert all(m is not None for m in modalities.values())


def test_a_name_given_to_two_drugs_is_refused():
    text = """
version: "x"
drugs:
  - {inn: lenalidomide, class: IMiD, aliases: [len]}
  - {inn: pomalidomide, class: IMiD, aliases: [len]}
"""
    with pytest.raises(ValueError, match="given to both"):
        load_drug_vocabulary(text)


def test_an_unknown_class_is_refused():
    with pytest.raises(ValueError):
        load_drug_vocabulary('version: "x"\ndrugs:\n  - {inn: foo, class: kinase}\n')


def test_modality_only_for_targeted_immunotherapy():
    with pytest.raises(ValueError, match="modality"):
        load_drug_vocabulary('version: "x"\ndrugs:\n  - {inn: foo, class: PI, modality: CAR-T}\n')
