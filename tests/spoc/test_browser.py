"""A request clicked from draft to fulfilled in headless Chromium, each step by the person whose
step it is, signed in as them: the analyst applies and submits, the police SPoC accepts, records
the OCDA's authorisation and sends it, Northmoor's provider SPoC acknowledges, uploads the data
and marks it fulfilled, never seeing the case."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = [pytest.mark.services, pytest.mark.browser]

PASSWORD = "browser-pass-2026!"


@pytest.mark.django_db(transaction=True)
def test_a_request_goes_from_draft_to_fulfilled_by_clicks(browser, live_server, tmp_path, settings):
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from spoc.models import CommsRequest, ProviderResponse
    from tests.conftest import Personas
    from tests.spoc.conftest import make_people

    settings.MEDIA_ROOT = str(tmp_path / "media")
    people = make_people(Personas())
    for user in (people.analyst, people.spoc, people.provider_spoc):
        user.set_password(PASSWORD)
        user.save()
    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException, WebDriverException))

    def sign_in(username: str) -> None:
        browser.delete_all_cookies()
        login = f"{live_server.url}/accounts/login/"
        browser.get(login)
        browser.find_element(By.ID, "id_username").send_keys(username)
        browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(shown.url_changes(login))

    def open_request(reference: str) -> None:
        browser.get(f"{live_server.url}/spoc/")
        wait.until(shown.element_to_be_clickable((By.LINK_TEXT, reference))).click()
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), reference))

    def take_step(reference: str, label: str, fields: dict[str, str] | None = None, state: str = "") -> None:
        open_request(reference)
        wait.until(shown.element_to_be_clickable((By.LINK_TEXT, label))).click()
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), label))
        for name, value in (fields or {}).items():
            field = browser.find_element(By.NAME, name)
            if field.get_attribute("type") == "date":
                browser.execute_script("arguments[0].value = arguments[1];", field, value)
            else:
                field.send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "form.step-form button[value=record]").click()
        wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, "p.flash"), f"is now {state}"))

    # The analyst applies for events data about a deal line and submits the application.
    sign_in("analyst")
    browser.get(f"{live_server.url}/spoc/requests/new/")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("events")
    Select(browser.find_element(By.NAME, "provider")).select_by_value("provider-northmoor")
    for name, value in {
        "investigation": "Operation Kestrel",
        "identifier": "07700 900123",
        "data_sought": "Call data records with cell sites.",
        "necessity": "The deal line's users exploit children.",
        "proportionality": "Thirty days only.",
        "collateral_intrusion": "Buyers' numbers are not analysed.",
    }.items():
        browser.find_element(By.NAME, name).send_keys(value)
    for name, value in {"date_from": "2026-05-01", "date_to": "2026-05-30"}.items():
        browser.execute_script("arguments[0].value = arguments[1];", browser.find_element(By.NAME, name), value)
    Select(browser.find_element(By.NAME, "statutory_purpose")).select_by_value("serious_crime")
    Select(browser.find_element(By.NAME, "category")).select_by_value("child_criminal_exploitation")
    browser.find_element(By.NAME, "serious_crime_threshold").click()
    browser.find_element(By.CSS_SELECTOR, "form.step-form button[type=submit]").click()
    wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, "p.flash"), "is drafted"))
    req = CommsRequest.objects.get()
    take_step(req.reference, "Submit to the SPoC", state="spoc review")

    # The police SPoC accepts it, records the OCDA's authorisation and sends it to Northmoor.
    sign_in("spoc")
    take_step(
        req.reference,
        "Accept for authorisation",
        {"feasibility_note": "Northmoor holds 12 months of events data."},
        "awaiting authorisation",
    )
    take_step(
        req.reference,
        "Record authorisation",
        {
            "authorisation_reference": "OCDA-2026-0042",
            "reasons": "Necessary and proportionate.",
            "decided_on": date.today().isoformat(),
        },
        "authorised",
    )
    take_step(req.reference, "Send to the provider", state="sent to the provider")

    # Northmoor's SPoC acknowledges, uploads the data and marks it fulfilled; the case never shows.
    sign_in("provider.spoc")
    take_step(req.reference, "Acknowledge", state="acknowledged by the provider")
    open_request(req.reference)
    assert "Kestrel" not in browser.page_source and "exploit children" not in browser.page_source
    response_file = tmp_path / "cdr.csv"
    response_file.write_text("number,called,started_at,cell\n07700900123,07700900456,2026-05-02T21:14:00,BHM-0421\n")
    browser.find_element(By.NAME, "file").send_keys(str(response_file))
    browser.find_element(By.XPATH, "//button[text()='Upload the response']").click()
    wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, "p.flash"), "SHA-256"))
    take_step(req.reference, "Mark fulfilled", state="fulfilled")

    req.refresh_from_db()
    assert req.state == "fulfilled" and req.acknowledged_at and req.fulfilled_at
    assert list(req.transitions.values_list("to_state", flat=True)) == [
        "draft",
        "spoc_review",
        "awaiting_authorisation",
        "authorised",
        "sent",
        "acknowledged",
        "fulfilled",
    ]
    assert ProviderResponse.objects.get().original_name == "cdr.csv"
