"""The clinical knowledge base: versioned data files, validated at load."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class KnowledgeBaseInfo:
    version: str
    reviewed: dt.date


@cache
def knowledge_base_info() -> KnowledgeBaseInfo:
    """Version and review date of the packaged knowledge base (``data/manifest.yaml``)."""
    text = resources.files("rrmm.knowledge").joinpath("data/manifest.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    reviewed = data["reviewed"]
    if isinstance(reviewed, str):
        reviewed = dt.date.fromisoformat(reviewed)
    return KnowledgeBaseInfo(version=str(data["version"]), reviewed=reviewed)


__all__ = ["KnowledgeBaseInfo", "knowledge_base_info"]
