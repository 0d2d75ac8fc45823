"""Bring the local study store up to date from ClinicalTrials.gov."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypedDict, Unpack

from pydantic import BaseModel, ConfigDict

from rrmm.trials.ctgov import DEFAULT_STATUSES, ClinicalTrialsClient
from rrmm.trials.store import StudyStore, UpsertOutcome

__all__ = ["StudyQuery", "SyncReport", "sync"]

#: Called with (studies fetched so far, the API's total or ``None``).
Progress = Callable[[int, int | None], None]


class StudyQuery(TypedDict, total=False):
    """The keyword arguments of :meth:`ClinicalTrialsClient.iter_studies` that :func:`sync` passes on."""

    condition_query: str
    term_query: str | None
    statuses: Sequence[str]
    page_size: int
    max_studies: int | None


class SyncReport(BaseModel):
    """What a sync did. ``not_returned``: stored studies of the queried statuses that a complete sync
    (no ``max_studies``) did not see: most have moved to another status and are worth a look."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fetched: int
    inserted: int
    updated: int
    unchanged: int
    total: int | None
    not_returned: tuple[str, ...] = ()


def sync(
    client: ClinicalTrialsClient,
    store: StudyStore,
    progress: Progress | None = None,
    *,
    batch_size: int = 100,
    **query: Unpack[StudyQuery],
) -> SyncReport:
    """Fetch the studies of ``query`` and upsert them into ``store``, ``batch_size`` per transaction.

    A failure part way (network, a malformed study) leaves the batches written before it, each whole,
    and raises. ``progress`` is called once the total is known and after each study.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    counts: dict[UpsertOutcome, int] = {"inserted": 0, "updated": 0, "unchanged": 0}
    fetched = 0
    seen: set[str] = set()
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        for outcome in store.upsert_many(batch):
            counts[outcome] += 1
        batch.clear()

    def on_total(total: int | None) -> None:
        if progress is not None:
            progress(0, total)

    for raw in client.iter_studies(**query, on_total=on_total):
        batch.append(raw)
        nct_id = raw.get("protocolSection", {}).get("identificationModule", {}).get("nctId")
        if isinstance(nct_id, str):
            seen.add(nct_id.strip())
        fetched += 1
        if len(batch) >= batch_size:
            flush()
        if progress is not None:
            progress(fetched, client.total_count)
    flush()

    not_returned: tuple[str, ...] = ()
    if query.get("max_studies") is None:
        statuses = query.get("statuses", DEFAULT_STATUSES)
        stored = store.nct_ids(statuses) if statuses else store.nct_ids()
        not_returned = tuple(n for n in stored if n not in seen)
    return SyncReport(
        fetched=fetched,
        inserted=counts["inserted"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        total=client.total_count,
        not_returned=not_returned,
    )
