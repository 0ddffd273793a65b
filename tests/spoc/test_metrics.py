"""The figures against hand-computed ones: providers' response times (median and 90th percentile,
working-day clocks skipping weekends, hour clocks not), inspection statistics with their CSV
export (audited, formula-safe), and the outcomes of a period."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from portal.audit.models import AccessAction, AccessEvent
from spoc import metrics
from spoc.models import RequestState
from spoc.seed import upload_demo_response
from spoc.transitions import request_transition
from tests.spoc.conftest import at_state

pytestmark = pytest.mark.django_db
S = RequestState
LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def test_percentile_interpolates_between_closest_ranks():
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([5], 90) == 5
    assert metrics.percentile([4, 1, 3, 2], 50) == 2.5
    assert metrics.percentile([1, 2, 3, 4], 90) == pytest.approx(3.7)
    assert metrics.percentile([2, 4, 24], 90) == pytest.approx(20.0)


def answered(people, *, sent, ack=None, fulfil=None, provider="provider-northmoor", **extra):
    req = at_state(people, S.AUTHORISED, provider=provider, **extra)
    company = people.provider_spoc if provider == "provider-northmoor" else people.eastgate_spoc
    with time_machine.travel(sent, tick=False):
        req = request_transition(actor=people.spoc, request_id=req.pk, to=S.SENT)
    if ack is not None:
        with time_machine.travel(ack, tick=False):
            req = request_transition(actor=company, request_id=req.pk, to=S.ACKNOWLEDGED)
    if fulfil is not None:
        with time_machine.travel(fulfil, tick=False):
            upload_demo_response(req, company)
            req = request_transition(actor=company, request_id=req.pk, to=S.FULFILLED)
    return req


@pytest.fixture
def timed(people):
    wed, fri = (2026, 6, 3), (2026, 6, 5)
    # Northmoor, county lines (1 working day to acknowledge):
    answered(people, sent=at(*wed, 9), ack=at(*wed, 11), fulfil=at(*fri, 9))  # 2 h; 48 h to fulfil
    answered(people, sent=at(*wed, 9), ack=at(*wed, 13))  # 4 h
    # Sent on Friday 09:00, acknowledged Monday 09:00: 15 h on Friday + 9 h on Monday = 24 working hours.
    answered(people, sent=at(*fri, 9), ack=at(2026, 6, 8, 9))
    # Northmoor, sexual exploitation: 1 h.
    answered(people, sent=at(*wed, 9), ack=at(*wed, 10), category="child_sexual_exploitation")
    # Eastgate, threat to life (hours, every hour counts): sent Friday 22:00, acknowledged 01:00 on
    # Saturday (3 h, late against 1 h), fulfilled 02:00 (4 h, within 4 h of the acknowledgement).
    answered(
        people,
        sent=at(*fri, 22),
        ack=at(2026, 6, 6, 1),
        fulfil=at(2026, 6, 6, 2),
        provider="provider-eastgate",
        category="threat_to_life",
        urgency="immediate",
    )
    # Sent after the period: not counted.
    answered(people, sent=at(2026, 6, 10, 9), ack=at(2026, 6, 10, 9, 30))
    return people


def test_response_times_by_provider_and_category(timed):
    times = metrics.response_times(start=date(2026, 6, 1), end=date(2026, 6, 7))
    by_provider = {row["provider"]: row for row in times["by_provider"]}
    northmoor = by_provider["Northmoor Mobile (synthetic provider)"]
    # acknowledge [1, 2, 4, 24]: median (2 + 4) / 2 = 3; 90th at 2.7: 4 + 0.7 × 20 = 18.
    assert (northmoor["requests"], northmoor["acknowledge_median"], northmoor["acknowledge_p90"]) == (4, 3.0, 18.0)
    assert (northmoor["fulfil_median"], northmoor["fulfil_p90"]) == (48.0, 48.0)
    assert (northmoor["acknowledged_on_time"], northmoor["fulfilled_on_time"]) == (4, 1)
    eastgate = by_provider["Eastgate Telecom (synthetic provider)"]
    assert (eastgate["acknowledge_median"], eastgate["fulfil_median"]) == (3.0, 4.0)
    assert (eastgate["acknowledged_on_time"], eastgate["fulfilled_on_time"]) == (0, 1)
    by_category = {row["category"]: row for row in times["by_category"]}
    # county lines [2, 4, 24]: median 4; 90th at 1.8: 4 + 0.8 × 20 = 20.
    assert (
        by_category["child_criminal_exploitation"]["acknowledge_median"],
        by_category["child_criminal_exploitation"]["acknowledge_p90"],
    ) == (4.0, 20.0)
    assert by_category["child_sexual_exploitation"]["acknowledge_median"] == 1.0
    assert by_category["threat_to_life"]["acknowledge_median"] == 3.0
    assert times["overall"]["requests"] == 5


def test_chart_data_has_a_series_per_provider(timed):
    chart = metrics.chart_data(metrics.response_times(start=date(2026, 6, 1), end=date(2026, 6, 7)))
    assert chart["categories"][2] == "Child criminal exploitation / county lines"
    series = {row["name"]: row for row in chart["series"]}
    assert series["Northmoor Mobile (synthetic provider)"]["acknowledge_median"] == [None, 1.0, 4.0, None]
    assert series["Eastgate Telecom (synthetic provider)"]["acknowledge_median"] == [3.0, None, None, None]


def test_dashboard_page_shows_the_figures_and_the_chart_data(client, timed):
    client.force_login(timed.spoc)
    response = client.get(reverse("spoc:dashboard"), {"start": "2026-06-01", "end": "2026-06-07"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="spoc-chart-data"' in body and "js/spoc/dashboard.js" in body and "<script>" not in body
    assert response.context["times"]["overall"]["requests"] == 5
    bad = client.get(reverse("spoc:dashboard"), {"start": "2026-06-07", "end": "2026-06-01"})
    assert bad.status_code == 400 and "ends before it starts" in bad.content.decode()


@pytest.fixture
def inspected(people):
    with time_machine.travel(at(2026, 6, 2, 10), tick=False):
        returned = at_state(people, S.SPOC_REVIEW)
        request_transition(
            actor=people.spoc, request_id=returned.pk, to=S.RETURNED, data={"reason": '=HYPERLINK("x") needs a purpose'}
        )
        at_state(people, S.AUTHORISED)
        at_state(people, S.REFUSED)
        urgent = at_state(people, S.AWAITING_AUTHORISATION, category="threat_to_life", urgency="immediate")
        request_transition(actor=people.dso, request_id=urgent.pk, to=S.AUTHORISED, data={"reasons": "Life."})
        from spoc.services import error_record

        error_record(actor=people.spoc, request_id=urgent.pk, kind="reportable", description="Wrong number sent.")
        error_record(actor=people.sro, request_id=urgent.pk, kind="recordable", description="Typo.")
    with time_machine.travel(at(2026, 7, 2, 10), tick=False):
        at_state(people, S.AUTHORISED)  # outside the period
    return people


def test_inspection_statistics_for_a_period(inspected):
    stats = metrics.inspection_statistics(start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert stats["applications"] == 4
    assert (stats["returned"], stats["authorised"], stats["urgent"], stats["refused"]) == (1, 2, 1, 1)
    assert (stats["errors"], stats["errors_recordable"], stats["errors_reportable"]) == (2, 1, 1)
    assert stats["returns"][0]["reason"].startswith("=HYPERLINK")


def test_inspection_csv_is_audited_and_formula_safe(client, inspected):
    client.force_login(inspected.spoc)
    before = AccessEvent.objects.count()
    response = client.get(reverse("spoc:inspection_csv"), {"start": "2026-06-01", "end": "2026-06-30"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    figures = {row[0]: row[1] for row in rows if len(row) == 2}
    assert figures["applications made"] == "4" and figures["of which urgent (designated senior officer)"] == "1"
    returned = [row for row in rows if row and row[0].startswith("CD-")]
    assert returned and returned[0][1].startswith("2026-06-02")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    export = AccessEvent.objects.filter(action=AccessAction.EXPORT).latest("id")
    assert export.id > before and export.actor == inspected.spoc and export.result_count == 1
    assert export.subjects.filter(subject_type="spoc.commsrequest").count() == 1


def test_safe_cell_neutralises_formula_prefixes():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert metrics.safe_cell(dangerous) == "'" + dangerous
    assert metrics.safe_cell("plain") == "plain"


def test_outcomes_of_a_period(people, child_case):
    from safeguarding.pathway import case_transition
    from safeguarding.records import nrm_record
    from safeguarding.screening import INDICATORS
    from spoc.services import deal_line_create, deal_line_status_set

    medium = {i.code: i.code in {"missing_episodes", "found_out_of_area"} for i in INDICATORS}
    with time_machine.travel(at(2026, 6, 3, 10), tick=False):
        case_transition(actor=people.mash_birmingham, case_id=child_case.pk, to="screening")
        case_transition(
            actor=people.mash_birmingham, case_id=child_case.pk, to="contextual_meeting", data={"answers": medium}
        )
        nrm_record(
            actor=people.mash_birmingham,
            case=child_case,
            first_responder=people.agencies["birmingham"],
            submitted_on=date(2026, 6, 3),
        )
        line = deal_line_create(actor=people.analyst, data={"number": "07700 900555", "line_name": "Ace"})
        deal_line_status_set(actor=people.analyst, line=line, status="disrupted", on=date(2026, 6, 3))
        req = at_state(people, S.AUTHORISED)
    answered_on_time = answered(people, sent=at(2026, 6, 3, 11), ack=at(2026, 6, 3, 12), fulfil=at(2026, 6, 4, 12))
    figures = metrics.outcomes(start=date(2026, 6, 1), end=date(2026, 6, 7))
    assert figures["lines_disrupted"] == 1 and figures["lines"] == [line]
    assert (figures["children_safeguarded"], figures["adults_safeguarded"]) == (1, 0)
    assert (figures["nrm_referrals"], figures["nrm_children"]) == (1, 1)
    assert figures["requests_made"] == 1  # `req`; `answered_on_time` was submitted today, outside June
    assert (figures["requests_answered"], figures["requests_answered_on_time"]) == (1, 1)
    assert req.pk != answered_on_time.pk
