"""The pathway clicked through in headless Chromium: a child identified by the police goes to the
police review, the MASH decision, a medium screening, the contextual safeguarding meeting and a
disruption panel decision, each step taken by the person whose step it is, signed in as them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.services, pytest.mark.browser]

PASSWORD = "browser-pass-2026!"
MEDIUM = {"missing_episodes", "found_out_of_area"}  # 3 + 3 = 6: medium


@pytest.mark.django_db(transaction=True)
def test_a_child_goes_from_identified_to_a_disruption_panel_decision_by_clicks(browser, live_server, tmp_path):
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from safeguarding.models import Case, CaseKind, DisruptionTactic, Meeting, Screening
    from safeguarding.screening import INDICATORS
    from safeguarding.services import case_create
    from tests.conftest import Personas

    personas = Personas()
    for user in (personas.officer, personas.mash_birmingham, personas.panel_member):
        user.set_password(PASSWORD)
        user.save()
    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Reece",
        surname="Harbottle",
        date_of_birth=date(2010, 5, 1),
        local_authority=personas.agencies["birmingham"],
    )
    case_url = f"{live_server.url}/cases/{case.pk}/"
    # An element read while the page is being replaced goes stale, or Chromium answers "Node with
    # given id does not belong to the document": both mean "not yet", so the waits retry on them.
    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException, WebDriverException))

    def sign_in(username: str) -> None:
        browser.delete_all_cookies()
        login = f"{live_server.url}/accounts/login/"
        browser.get(login)
        browser.find_element(By.ID, "id_username").send_keys(username)
        browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(shown.url_changes(login))
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Safeguarding work"))

    def take_step(label: str) -> None:
        """From the case page, open the step's form by its button."""
        browser.get(case_url)
        wait.until(shown.element_to_be_clickable((By.LINK_TEXT, label))).click()
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), label))

    def record(state_label: str) -> None:
        browser.find_element(By.CSS_SELECTOR, "form.step-form button[value=record]").click()
        wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, "p.flash"), f"is now at {state_label}"))

    def set_date(name: str, day: date) -> None:
        # A date input's typed format follows the browser's locale; its value is always ISO.
        field = browser.find_element(By.NAME, name)
        browser.execute_script("arguments[0].value = arguments[1];", field, day.isoformat())

    def tick(*codes: str) -> None:
        for code in codes:
            browser.find_element(By.CSS_SELECTOR, f"input[name=attendees][value='{code}']").click()

    today = timezone.localdate()

    # The police review: the Birmingham hub's officer writes the concern and refers the child.
    sign_in("officer.birmingham")
    take_step("Police review: refer to the MASH")
    browser.find_element(By.NAME, "concern").send_keys("Reece is at risk of criminal exploitation by a county line.")
    record("referred to the mash")

    # The MASH decision, then the screening: the tool's score says medium.
    sign_in("mash.birmingham")
    assert "Dashboard" in [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.menu a")]
    take_step("MASH decision: accept for screening")
    record("screening")
    take_step("Screening: medium or low risk, to a contextual meeting")
    for indicator in INDICATORS:
        browser.find_element(By.ID, f"id_answer_{indicator.code}_{0 if indicator.code in MEDIUM else 1}").click()
    browser.find_element(By.CSS_SELECTOR, "button[value=score]").click()
    wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, "section.score"), "suggests medium risk"))
    assert "Score 6" in browser.find_element(By.CSS_SELECTOR, "section.score").text
    record("contextual safeguarding meeting")

    # The contextual safeguarding meeting sends the medium-risk child to the disruption panel.
    sign_in("panel")
    take_step("Contextual meeting: to the disruption panel")
    set_date("held_on", today)
    tick("wmp", "birmingham", "education")
    browser.find_element(By.NAME, "attendee_names").send_keys("DC Vale; J. Okoro")
    browser.find_element(By.NAME, "minutes").send_keys("Seen at the flat on Moor Street with older men.")
    record("disruption panel")

    # The disruption panel's decision: a tactic with its owner and review date, then monitoring.
    take_step("Disruption panel: record the tactics and monitor")
    set_date("held_on", today)
    tick("wmp", "birmingham")
    Select(browser.find_element(By.NAME, "tactic1_kind")).select_by_value("closure-order")
    Select(browser.find_element(By.NAME, "tactic1_owner")).select_by_value("wmp")
    set_date("tactic1_review_on", today + timedelta(days=28))
    browser.find_element(By.NAME, "tactic1_notes").send_keys("Flat 3, Moor Street")
    record("monitoring")

    chronology = browser.find_element(By.CSS_SELECTOR, "ol.chronology").text
    for event in ("Exploitation screening", "Contextual safeguarding meeting held", "Disruption tactic: Closure order"):
        assert event in chronology
    browser.save_screenshot(str(tmp_path / "monitoring.png"))

    case.refresh_from_db()
    assert (case.state, case.risk_level) == ("monitoring", "medium")
    assert Screening.objects.get(case=case).score == 6
    assert list(Meeting.objects.filter(case=case).values_list("kind", "recorded_by__username").order_by("id")) == [
        ("contextual_meeting", "panel"),
        ("disruption_panel", "panel"),
    ]
    tactic = DisruptionTactic.objects.get(case=case)
    assert (tactic.kind.code, tactic.owner_agency.code, tactic.review_on) == (
        "closure-order",
        "wmp",
        today + timedelta(days=28),
    )
    assert list(case.transitions.values_list("to_state", "actor__username")) == [
        ("identified", "analyst"),
        ("referred", "officer.birmingham"),
        ("screening", "mash.birmingham"),
        ("contextual_meeting", "mash.birmingham"),
        ("disruption_panel", "panel"),
        ("monitoring", "panel"),
    ]
    assert Case.objects.count() == 1
