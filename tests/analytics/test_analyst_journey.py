"""The analyst's journey in headless Chromium, on the real services (PostgreSQL, Redis, a Celery
worker): sign in, upload the demo bundle, follow the import, start a run, watch it, open the top
group's network, click a child on the drawing, and see the child's profile with their
safeguarding state. axe-core (tests/vendor/axe-core, injected by the test) checks the main
pages for serious or critical accessibility problems. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.services, pytest.mark.browser]

PASSWORD = "browser-pass-2026!"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.0-2.2 A and AA rules (axe's tags).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _demo_bundle(tmp_path: Path) -> Path:
    from analytics.synthetic import generate_bundle

    bundle = tmp_path / "demo-bundle"
    generate_bundle(bundle, seed=1, scale="small")  # what `load_demo_data` imports
    return bundle


def axe_problems(browser) -> list[str]:
    """Serious and critical axe-core violations on the current page."""
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(function (r) { done(r.violations); }, function (e) { done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]); });",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.django_db(transaction=True)
def test_the_analysts_journey_from_upload_to_a_childs_safeguarding_state(
    browser, live_server, celery_worker_process, tmp_path
):
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    from analytics.models import AnalysisRun, GroupResult, NominalResult
    from safeguarding.models import Case
    from tests.conftest import Personas

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    problems: dict[str, list[str]] = {}

    def keep(name: str) -> None:
        path = SCREENSHOTS / f"analyst-journey-{name}.png"
        browser.save_screenshot(str(path))
        saved.append(path)
        print(f"screenshot: {path}")

    def check(name: str) -> None:
        found = axe_problems(browser)
        if found:
            problems[name] = found

    personas = Personas()
    personas.analyst.set_password(PASSWORD)
    personas.analyst.save()
    bundle = _demo_bundle(tmp_path)
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException, WebDriverException))
    slow = WebDriverWait(browser, 240, ignored_exceptions=(StaleElementReferenceException, WebDriverException))

    # Sign in.
    browser.delete_all_cookies()
    login = f"{live_server.url}/accounts/login/"
    browser.get(login)
    browser.find_element(By.ID, "id_username").send_keys("analyst")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(shown.url_changes(login))

    # Upload the demo bundle and follow the import's progress until it has finished.
    browser.get(f"{live_server.url}/imports/")
    check("import list")
    files = sorted(str(p) for p in bundle.iterdir() if p.suffix == ".csv")
    browser.find_element(By.ID, "id_files").send_keys("\n".join(files))
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, "p.flash"), "Import queued"))
    keep("1-import-progress")
    slow.until(
        lambda b: (
            "Imported" in b.find_element(By.TAG_NAME, "body").text
            and not b.find_elements(By.CSS_SELECTOR, "[data-progress-url]")
        )
    )
    keep("2-import-done")

    # Start a run and watch its progress: the bar moves, the elapsed time ticks.
    browser.get(f"{live_server.url}/analysis/runs/")
    check("run list")
    date_field = browser.find_element(By.ID, "id_reference_date")
    browser.execute_script("arguments[0].value = '2026-06-30';", date_field)
    browser.find_element(By.CSS_SELECTOR, "form.panel button[type=submit]").click()
    wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, "p.flash"), "queued"))
    run = AnalysisRun.objects.latest("id")
    keep("3-run-progress")
    slow.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Complete"))
    run.refresh_from_db()
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    wait.until(
        lambda b: all(c.get_attribute("data-drawn") == "true" for c in b.find_elements(By.CSS_SELECTOR, "[data-chart]"))
    )
    keep("4-run-overview")
    check("run overview")

    # The run's network: its groups. Open the top group, whose members include a child.
    browser.find_element(By.LINK_TEXT, "See the network").click()
    canvas = wait.until(shown.presence_of_element_located((By.CSS_SELECTOR, "[data-network][data-node-count]")))
    assert int(canvas.get_attribute("data-node-count") or -1) == GroupResult.objects.filter(run=run).count()
    keep("5-run-network")
    check("run network")
    top = GroupResult.objects.filter(run=run, children_present__gt=0).order_by("priority_rank").first()
    assert top is not None
    browser.find_element(By.CSS_SELECTOR, f"[data-network-table] a[href$='/groups/{top.group}/']").click()
    canvas = wait.until(shown.presence_of_element_located((By.CSS_SELECTOR, "[data-network][data-node-count]")))
    assert int(canvas.get_attribute("data-node-count") or -1) == top.size
    assert int(canvas.get_attribute("data-edge-count") or -1) > 0
    keep("6-group-network")
    check("group network")

    # From the keyboard: N chooses the first person in dismantling order, N again the second,
    # P goes back, Escape clears; the panel reads each choice out.
    order = browser.execute_script("return JSON.parse(document.getElementById('network-data').textContent).nodes")
    labels = [f"{node['label']} {node['key']}" for node in order[:2]]
    canvas.send_keys("n")
    summary = wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, "[data-network-summary]")))
    wait.until(lambda b: summary.text.startswith(labels[0]))
    canvas.send_keys("n")
    wait.until(lambda b: summary.text.startswith(labels[1]))
    canvas.send_keys("p")
    wait.until(lambda b: summary.text.startswith(labels[0]))
    assert browser.switch_to.active_element == canvas
    canvas.send_keys(Keys.ESCAPE)
    wait.until(lambda b: not b.find_element(By.CSS_SELECTOR, "[data-network-selection]").is_displayed())

    # Click the child where the drawing shows them; the panel offers their profile.
    child = NominalResult.objects.filter(run=run, group=top.group, is_child=True).order_by("nominal_id").first()
    assert child is not None
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    point = browser.execute_script(
        "var s = arguments[0].sigma; var p = s.graphToViewport(s.getGraph().getNodeAttributes(arguments[1]));"
        "return [p.x, p.y];",
        canvas,
        child.nominal_id,
    )
    size = canvas.size
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(point[0] - size["width"] / 2), int(point[1] - size["height"] / 2)
    ).click().perform()
    summary = wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, "[data-network-summary]")))
    wait.until(lambda b: child.nominal_id in summary.text)
    assert "a child to safeguard" in summary.text
    keep("7-child-selected")
    browser.find_element(By.CSS_SELECTOR, "[data-network-open]").click()

    # The child's profile: why they are in the network, and their safeguarding case's state.
    wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), child.nominal_id))
    case = Case.objects.get(nominal_id=child.nominal_id)
    section = browser.find_element(By.CSS_SELECTOR, "[data-safeguarding-state]")
    assert section.get_attribute("data-safeguarding-state") == case.state
    assert case.get_state_display() in section.text
    assert "Why this score" in browser.find_element(By.TAG_NAME, "body").text
    keep("8-child-profile")
    check("child profile")

    for name, path in (("groups table", "groups/"), ("dismantling", "dismantling/")):
        browser.get(f"{live_server.url}/analysis/runs/{run.pk}/{path}")
        check(name)
    keep("9-dismantling")

    assert not problems, "\n".join(f"{page}: {found}" for page, found in problems.items())
    assert all(path.stat().st_size > 0 for path in saved)
