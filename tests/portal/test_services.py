"""The real services: PostgreSQL, a Celery worker process over Redis, and a browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.accounts.tasks import clear_expired_sessions

pytestmark = pytest.mark.services


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_session_clean_up(celery_worker_process):
    Session.objects.create(
        session_key="expired-session-key-1", session_data="x", expire_date=timezone.now() - timedelta(hours=1)
    )
    Session.objects.create(
        session_key="live-session-key-1", session_data="x", expire_date=timezone.now() + timedelta(hours=1)
    )
    result = clear_expired_sessions.delay()
    result.get(timeout=30)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live-session-key-1"]


@pytest.mark.django_db
def test_the_suite_is_running_on_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_readyz_sees_the_real_broker(client, settings):
    from portal.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert app.conf.broker_url.startswith("redis://")
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert "6379" in response.json()["broker"]


@pytest.mark.django_db
def test_readyz_turns_unavailable_when_a_real_broker_stops(client, settings, tmp_path):
    """A Redis of the test's own: ready while it runs, 503 once it is really gone."""
    import shutil
    import socket
    import subprocess
    import time

    from portal.celery import app

    server = shutil.which("redis-server")
    assert server, "the services run needs redis-server on PATH"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while (ready := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.status_code == 200, ready.content
        redis.terminate()
        redis.wait(timeout=10)
        down = client.get("/readyz")
        assert down.status_code == 503 and down.json()["status"] == "unavailable"
    finally:
        app.conf.broker_url = previous
        if redis.poll() is None:
            redis.kill()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_mash_practitioner_signs_in_and_opens_a_shared_case(browser, live_server, tmp_path):
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.conftest import Personas

    personas = Personas()
    personas.mash_birmingham.set_password("browser-pass-2026!")
    personas.mash_birmingham.save()
    from datetime import date

    from safeguarding.models import CaseKind
    from safeguarding.services import case_create

    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Reece",
        surname="Harbottle",
        date_of_birth=date(2010, 5, 1),
        local_authority=personas.agencies["birmingham"],
    )
    from safeguarding.pathway import case_transition

    case_transition(actor=personas.officer, case_id=case.pk, to="referred", data={"concern": "At risk of exploitation."})
    login = f"{live_server.url}/accounts/login/"
    browser.get(login)
    assert "OFFICIAL-SENSITIVE" in browser.find_element(By.CLASS_NAME, "marking").text
    browser.find_element(By.ID, "id_username").send_keys("mash.birmingham")
    browser.find_element(By.ID, "id_password").send_keys("browser-pass-2026!")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # Wait for each navigation to finish. An element read while the page is being replaced goes
    # stale, or Chromium answers "Node with given id does not belong to the document" (a plain
    # WebDriverException): both mean "not yet", so the wait retries on them.
    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException, WebDriverException))
    wait.until(shown.url_changes(login))
    wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Safeguarding work"))
    menu = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.menu a")]
    assert menu == ["Home", "Dashboard", "Meetings", "Cases"]
    browser.find_element(By.LINK_TEXT, "Cases").click()
    wait.until(shown.element_to_be_clickable((By.LINK_TEXT, case.reference))).click()
    wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Harbottle"))
    assert "a child to protect" in browser.page_source
    browser.save_screenshot(str(tmp_path / "case.png"))


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_imported_by_the_real_worker_and_the_change_log_names_the_importer(
    celery_worker_process, tmp_path
):
    from auditlog.models import LogEntry

    from analytics.models import ImportBatch, Nominal
    from analytics.tasks import import_bundle_task
    from tests.analytics.test_import import GOOD, write_bundle
    from tests.conftest import Personas

    analyst = Personas().analyst
    batch = ImportBatch.objects.create(imported_by=analyst, source_path=str(write_bundle(tmp_path / "b", GOOD)))
    assert import_bundle_task.delay(batch.pk).get(timeout=60) == "succeeded"
    assert Nominal.objects.count() == 3
    entries = LogEntry.objects.get_for_object(batch).filter(action=LogEntry.Action.UPDATE)
    assert entries.exists() and all(entry.actor == analyst for entry in entries)


@pytest.mark.django_db(transaction=True)
def test_an_analysis_runs_on_the_real_worker(celery_worker_process, tmp_path):
    from datetime import date

    from analytics.analysis import analysis_run_create
    from analytics.importing import bundle_import
    from analytics.models import AnalysisRun, ImportBatch
    from analytics.synthetic import generate_bundle
    from analytics.tasks import run_analysis_task

    generate_bundle(tmp_path / "small", seed=3, scale="small")
    assert bundle_import(batch=ImportBatch.objects.create(), path=tmp_path / "small").status == "succeeded"
    run = analysis_run_create(actor=None, reference_date=date(2026, 6, 30))
    assert run_analysis_task.delay(run.pk).get(timeout=300) == "succeeded"
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED and run.nominal_results.filter(is_child=True).exists()


@pytest.mark.django_db
def test_a_large_load_checks_foreign_keys_in_bulk_and_restores_them(tmp_path, monkeypatch):
    from django.db import connection

    from analytics import importing
    from analytics.models import ImportBatch, RecordNominal
    from tests.analytics.test_import import GOOD, write_bundle

    def foreign_keys() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'analytics_recordnominal'::regclass AND contype = 'f' ORDER BY conname"
            )
            return cursor.fetchall()

    def indexes() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'analytics_recordnominal' ORDER BY 1"
            )
            return cursor.fetchall()

    before, indexes_before = foreign_keys(), indexes()
    assert any("UNIQUE" not in definition for _, definition in indexes_before)  # a plain index to rebuild
    assert len(before) == 2 and all("DEFERRABLE INITIALLY DEFERRED" in d for _, d in before)
    monkeypatch.setattr(importing, "BULK_FOREIGN_KEY_ROWS", 1)
    batch = importing.bundle_import(batch=ImportBatch.objects.create(), path=write_bundle(tmp_path / "b", GOOD))
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    assert RecordNominal.objects.count() == 4
    assert foreign_keys() == before and indexes() == indexes_before
