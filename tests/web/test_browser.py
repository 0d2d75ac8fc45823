"""A new user in a real browser (Playwright driving Debian's Chromium): log in, import an example record,
read the patient page, open the tumor-board PDF, log out; a read-only user is refused an import.

Screenshots are written to ``test-artifacts/browser/`` (kept out of git). Skipped, saying why, when
Chromium is absent (``make test`` installs it with scripts/chromium.sh).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from api.support import EXAMPLES, PASSWORD
from rrmm.api.app import Settings, create_app
from rrmm.db import Repository, make_engine, migrate

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "browser"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/chromium.sh)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'rrmm.sqlite'}")
    migrate(engine)
    repo = Repository(engine, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    repo.add_user("dr-new", PASSWORD, "hematologist")
    repo.add_user("viewer", PASSWORD, "read-only")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(
        create_app(repo, Settings(app_url=base)), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start in 20 s")
        time.sleep(0.05)
    yield base
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def login(page, base: str, user: str) -> None:
    page.goto(f"{base}/patients")
    assert "/login" in page.url  # not logged in: sent to the login page
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/patients")


def test_new_user_walks_through_import_patient_page_and_pdf(server, browser):
    page = browser.new_page(viewport={"width": 1024, "height": 1366})  # a tablet in portrait
    login(page, server, "dr-new")
    shot(page, "01-patient-list")
    page.get_by_role("link", name="Import a patient").click()
    page.get_by_label("Patient record (rrmm JSON) or FHIR R4 Bundle (JSON)").set_input_files(
        str(EXAMPLES / "triple-class-refractory.json")
    )
    page.get_by_role("button", name="Import file").click()
    page.wait_for_url("**/patients/*")
    shot(page, "02-patient-page")
    assert page.get_by_role("heading", name="Disease state").is_visible()
    assert page.get_by_role("heading", name="Options, ranked").is_visible()
    assert page.get_by_role("heading", name="Not recommended, and why").is_visible()
    assert page.locator("figure.chart svg").count() == 2  # swimmer and trajectory charts
    page.get_by_role("link", name="pharmacist").click()
    headings = page.locator("main h2").all_inner_texts()
    assert headings.index("Side effects: what the labels say now") < headings.index("Options, ranked")
    shot(page, "03-pharmacist-view")
    pdf = page.request.get(
        page.get_by_role("link", name="Tumor-board report (PDF)").get_attribute("href")
        and f"{page.url.split('?')[0]}/report.pdf"
    )
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "tumor-board.pdf").write_bytes(pdf.body())
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server}/login")
    page.close()


def test_read_only_user_is_refused_an_import(server, browser):
    page = browser.new_page()
    login(page, server, "viewer")
    assert page.get_by_role("link", name="Import a patient").count() == 0  # no write action offered
    page.goto(f"{server}/import")
    page.get_by_label("Patient record (rrmm JSON) or FHIR R4 Bundle (JSON)").set_input_files(
        str(EXAMPLES / "t11-14.json")
    )
    page.get_by_role("button", name="Import file").click()
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    shot(page, "04-read-only-refused")
    page.goto(f"{server}/patients")
    assert "t11" not in page.locator("#rows").inner_text()  # nothing was stored
    page.close()
