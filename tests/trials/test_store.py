"""The SQLite study store and the sync from the API into it (recorded responses, no network)."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from rrmm.trials.ctgov import ClinicalTrialsClient, CtgovError
from rrmm.trials.store import StudyStore, default_store_path
from rrmm.trials.study import StudyFormatError, study_from_v2
from rrmm.trials.sync import SyncReport, sync

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _page(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def _raws() -> list[dict[str, Any]]:
    return _page("page1.json")["studies"] + _page("page2.json")["studies"]


@pytest.fixture
def store(tmp_path: Path):
    with StudyStore(tmp_path / "home" / "trials.sqlite") as s:
        yield s


# -- the store -------------------------------------------------------------------------------------


def test_round_trip(store: StudyStore):
    raws = _raws()
    assert [store.upsert(r) for r in raws] == ["inserted", "inserted", "inserted"]
    assert store.count() == 3
    for raw in raws:
        nct_id = raw["protocolSection"]["identificationModule"]["nctId"]
        assert store.get(nct_id) == study_from_v2(raw)
        assert store.raw(nct_id) == raw
    assert store.get("NCT00000000") is None
    assert [s.nct_id for s in store.studies()] == ["NCT90000001", "NCT90000002", "NCT90000003"]
    assert [s.nct_id for s in store.studies(statuses=["RECRUITING"])] == ["NCT90000001", "NCT90000003"]
    assert [s.nct_id for s in store.studies(statuses=["not_yet_recruiting"])] == ["NCT90000002"]
    assert store.studies(statuses=[]) == []
    assert store.count(statuses=["RECRUITING"]) == 2


def test_upsert_updates_a_changed_study_and_leaves_the_same_one(store: StudyStore):
    raw = _raws()[0]
    assert store.upsert(raw) == "inserted"
    assert store.upsert(copy.deepcopy(raw)) == "unchanged"
    changed = copy.deepcopy(raw)
    changed["protocolSection"]["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    changed["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2026-11-02"
    assert store.upsert(changed) == "updated"
    assert store.count() == 1
    study = store.get("NCT90000001")
    assert study is not None
    assert (study.status, study.last_update) == ("ACTIVE_NOT_RECRUITING", "2026-11-02")
    assert store.studies(statuses=["RECRUITING"]) == []
    assert store.nct_ids(["ACTIVE_NOT_RECRUITING"]) == ["NCT90000001"]


def test_a_malformed_study_in_a_batch_writes_nothing(store: StudyStore):
    raws = _raws()
    bad = copy.deepcopy(raws[0])
    bad["protocolSection"]["identificationModule"]["nctId"] = "NCT90000004"
    bad["protocolSection"]["designModule"]["phases"] = "PHASE1"
    with pytest.raises(StudyFormatError, match=r"NCT90000004: protocolSection\.designModule\.phases"):
        store.upsert_many([raws[0], raws[1], bad])
    assert store.count() == 0


def test_the_file_persists_with_its_table_and_index(tmp_path: Path):
    path = tmp_path / "trials.sqlite"
    with StudyStore(path) as s:
        s.upsert_many(_raws())
    with StudyStore(path) as s:
        assert s.count() == 3
    conn = sqlite3.connect(path)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(studies)")]
        pk = [r[1] for r in conn.execute("PRAGMA table_info(studies)") if r[5]]
        indexes = [r[1] for r in conn.execute("PRAGMA index_list(studies)")]
        status_index_columns = [r[2] for r in conn.execute("PRAGMA index_info(studies_status)")]
    finally:
        conn.close()
    assert {"nct_id", "status", "last_update", "raw_json"} <= set(columns)
    assert pk == ["nct_id"]
    assert "studies_status" in indexes
    assert status_index_columns == ["status"]


def test_default_store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert default_store_path({"RRMM_HOME": str(tmp_path)}) == tmp_path / "trials.sqlite"
    monkeypatch.delenv("RRMM_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_store_path() == tmp_path / "user" / ".rrmm" / "trials.sqlite"
    monkeypatch.setenv("RRMM_HOME", str(tmp_path / "elsewhere"))
    assert default_store_path() == tmp_path / "elsewhere" / "trials.sqlite"


# -- sync ------------------------------------------------------------------------------------------


class _Pages:
    """A MockTransport handler serving page 1 then page 2 on every sync (by the page token)."""

    def __init__(self, page1: dict[str, Any], page2: dict[str, Any] | None = None) -> None:
        self.page1, self.page2 = page1, page2
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if "pageToken" not in request.url.params:
            return httpx.Response(200, json=self.page1)
        if self.page2 is None:
            return httpx.Response(200, json={"studies": "broken"})
        return httpx.Response(200, json=self.page2)


def _client(handler: _Pages) -> ClinicalTrialsClient:
    return ClinicalTrialsClient(httpx.MockTransport(handler), sleep=lambda s: None, clock=lambda: 0.0)


def test_sync_inserts_then_finds_nothing_new(store: StudyStore):
    handler = _Pages(_page("page1.json"), _page("page2.json"))
    calls: list[tuple[int, int | None]] = []
    with _client(handler) as client:
        report = sync(client, store, lambda done, total: calls.append((done, total)))
        assert report == SyncReport(fetched=3, inserted=3, updated=0, unchanged=0, total=3)
        assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
        assert store.count() == 3
        again = sync(client, store)
    assert again == SyncReport(fetched=3, inserted=0, updated=0, unchanged=3, total=3)


def test_sync_counts_updates_and_passes_the_query_on(store: StudyStore):
    page1 = _page("page1.json")
    with _client(_Pages(page1, _page("page2.json"))) as client:
        sync(client, store)
    changed = copy.deepcopy(page1)
    changed["studies"][1]["protocolSection"]["statusModule"]["overallStatus"] = "RECRUITING"
    handler = _Pages(changed, _page("page2.json"))
    with _client(handler) as client:
        report = sync(client, store, statuses=("RECRUITING",), page_size=2)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert handler.requests[0].url.params["filter.overallStatus"] == "RECRUITING"
    assert handler.requests[0].url.params["pageSize"] == "2"
    assert store.count(["RECRUITING"]) == 3


def test_sync_reports_stored_studies_the_api_no_longer_returns(store: StudyStore):
    gone = copy.deepcopy(_raws()[2])
    gone["protocolSection"]["identificationModule"]["nctId"] = "NCT90000099"
    store.upsert(gone)
    with _client(_Pages(_page("page1.json"), _page("page2.json"))) as client:
        report = sync(client, store)
        assert report.not_returned == ("NCT90000099",)
        partial = sync(client, store, max_studies=1)
    assert partial.fetched == 1
    assert partial.not_returned == ()


def test_a_failed_sync_keeps_the_whole_batches_written_before_it(store: StudyStore):
    with _client(_Pages(_page("page1.json"), None)) as client, pytest.raises(CtgovError, match="page 2"):
        sync(client, store, batch_size=2)
    assert [s.nct_id for s in store.studies()] == ["NCT90000001", "NCT90000002"]


def test_a_failed_sync_inside_a_batch_writes_none_of_it(store: StudyStore):
    with _client(_Pages(_page("page1.json"), None)) as client, pytest.raises(CtgovError):
        sync(client, store, batch_size=100)
    assert store.count() == 0
