"""The clinical knowledge base: versioned data files under ``data/``, validated at load.

``data/manifest.yaml`` gives the version and review date every plan reports; ``data/regimens/*.yaml`` one
regimen each; ``data/drugs/*.yaml`` the label facts of one drug each; ``data/supportive_care.yaml`` care that
goes with classes of therapy; ``data/ranking.yaml`` rrmm's ranking weights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from rrmm.knowledge.schema import DrugFacts, Manifest, RankingPolicy, Regimen, SupportiveCare

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(ValueError):
    """A knowledge-base file that does not validate; the message names the file and the field."""


@dataclass(frozen=True)
class KnowledgeBaseInfo:
    version: str
    reviewed: dt.date


@dataclass(frozen=True)
class KnowledgeBase:
    info: KnowledgeBaseInfo
    regimens: tuple[Regimen, ...]
    drugs: dict[str, DrugFacts]
    supportive_care: tuple[SupportiveCare, ...]
    ranking: RankingPolicy

    def regimen(self, regimen_id: str) -> Regimen:
        for r in self.regimens:
            if r.id.lower() == regimen_id.lower():
                return r
        raise KeyError(regimen_id)


def _data() -> Traversable:
    return resources.files("rrmm.knowledge").joinpath("data")


def _validate(model: type[M], raw: Any, where: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in first["loc"])
        raise KnowledgeError(f"{where}: {path}: {first['msg']}") from None


def _yaml_files(folder: Traversable) -> Iterator[Traversable]:
    if folder.is_dir():
        yield from sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)


def _read(file: Traversable) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{file.name}: not valid YAML: {exc}") from None


def load_knowledge_base(root: Traversable | None = None) -> KnowledgeBase:
    """Load and validate every file of the knowledge base (the packaged one unless ``root`` is given)."""
    root = root or _data()
    manifest = _validate(Manifest, _read(root.joinpath("manifest.yaml")), "manifest.yaml")
    regimens = tuple(
        _validate(Regimen, _read(f), f"regimens/{f.name}") for f in _yaml_files(root.joinpath("regimens"))
    )
    seen: set[str] = set()
    for r in regimens:
        if r.id.lower() in seen:
            raise KnowledgeError(f"regimen id {r.id!r} is used twice")
        seen.add(r.id.lower())
    drugs: dict[str, DrugFacts] = {}
    for f in _yaml_files(root.joinpath("drugs")):
        facts = _validate(DrugFacts, _read(f), f"drugs/{f.name}")
        if facts.inn in drugs:
            raise KnowledgeError(f"drugs/{f.name}: label facts of {facts.inn!r} are given twice")
        drugs[facts.inn] = facts
    care_file = root.joinpath("supportive_care.yaml")
    care_raw = _read(care_file) if care_file.is_file() else {"items": []}
    care = tuple(
        _validate(SupportiveCare, item, f"supportive_care.yaml: item {i}")
        for i, item in enumerate(care_raw.get("items") or [])
    )
    ranking = _validate(RankingPolicy, _read(root.joinpath("ranking.yaml")), "ranking.yaml")
    return KnowledgeBase(
        info=KnowledgeBaseInfo(manifest.version, manifest.reviewed),
        regimens=regimens,
        drugs=drugs,
        supportive_care=care,
        ranking=ranking,
    )


@cache
def knowledge_base() -> KnowledgeBase:
    """The packaged knowledge base, loaded and validated once."""
    return load_knowledge_base()


def knowledge_base_info() -> KnowledgeBaseInfo:
    """Version and review date of the packaged knowledge base."""
    return knowledge_base().info


__all__ = [
    "KnowledgeBase",
    "KnowledgeBaseInfo",
    "KnowledgeError",
    "knowledge_base",
    "knowledge_base_info",
    "load_knowledge_base",
]
