"""The SPoC workspace in the pages: applying (and the content refusal), each step's form with
403 and 409, what a provider's SPoC reads (nothing of the case), errors and their review, the
deal-line register with its risk score and the analysis groups a line matches."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from portal.audit.models import AccessAction, AccessEvent
from spoc.models import CommsError, CommsRequest, DealLine, RequestState
from spoc.seed import application
from spoc.services import deal_line_create, error_record, risk_score
from tests.spoc.conftest import at_state

pytestmark = pytest.mark.django_db
S = RequestState


def _form(data: dict) -> dict:
    return {key: ("on" if value is True else value) for key, value in data.items() if value not in (False, None)}


def test_applying_through_the_page(client, people):
    client.force_login(people.officer)
    assert client.get(reverse("spoc:request_create")).status_code == 200
    response = client.post(
        reverse("spoc:request_create"),
        _form(application(provider="provider-eastgate", category="child_criminal_exploitation")),
    )
    req = CommsRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("spoc:request_detail", args=[req.pk])
    assert (req.applicant, req.provider, req.state, req.serious_crime_threshold) == (
        people.officer,
        people.eastgate,
        S.DRAFT,
        True,
    )


def test_content_is_refused_on_the_page_and_nothing_is_saved(client, people):
    client.force_login(people.analyst)
    data = _form(
        application(
            provider="provider-northmoor",
            category="child_sexual_exploitation",
            data_sought="Message content and photos",
        )
    )
    response = client.post(reverse("spoc:request_create"), data)
    assert response.status_code == 200
    assert (
        "needs a targeted interception" in response.content.decode() and "cannot be used" in response.content.decode()
    )
    assert not CommsRequest.objects.exists()


def test_a_request_raised_from_a_line(client, people):
    line = deal_line_create(actor=people.analyst, data={"number": "07700 900888", "line_name": "Manny"})
    client.force_login(people.analyst)
    form = client.get(reverse("spoc:request_create"), {"line": line.pk})
    assert form.context["form"].initial["deal_line"] == line.pk
    assert form.context["form"].initial["identifier"] == "07700 900888"
    client.force_login(people.provider_spoc)
    assert client.get(reverse("spoc:request_create"), {"line": line.pk}).status_code == 404


def test_each_step_page_role_and_state(client, people):
    req = at_state(people, S.SPOC_REVIEW)
    url = reverse("spoc:request_step", args=[req.pk, S.AWAITING_AUTHORISATION])
    client.force_login(people.analyst)
    assert client.get(url).status_code == 403  # the applicant sees it, but accepting is the SPoC's
    client.force_login(people.provider_spoc)
    assert client.get(url).status_code == 404  # not sent: the company does not know it exists
    client.force_login(people.spoc)
    assert client.get(reverse("spoc:request_step", args=[req.pk, S.ACKNOWLEDGED])).status_code == 403
    assert client.get(reverse("spoc:request_step", args=[req.pk, S.CLOSED])).status_code == 409
    assert client.get(reverse("spoc:request_step", args=[req.pk, "nowhere"])).status_code == 404
    empty = client.post(url, {})
    assert empty.status_code == 200 and "required" in empty.content.decode()
    assert CommsRequest.objects.get(pk=req.pk).state == S.SPOC_REVIEW
    done = client.post(url, {"feasibility_note": "Northmoor holds 12 months."})
    assert done.status_code == 302
    assert CommsRequest.objects.get(pk=req.pk).state == S.AWAITING_AUTHORISATION


def test_the_police_page_lists_the_steps_the_user_may_take(client, people):
    req = at_state(people, S.AWAITING_AUTHORISATION)
    client.force_login(people.spoc)
    body = client.get(reverse("spoc:request_detail", args=[req.pk])).content.decode()
    assert reverse("spoc:request_step", args=[req.pk, S.AUTHORISED]) in body
    assert reverse("spoc:request_step", args=[req.pk, S.REFUSED]) in body
    client.force_login(people.analyst)
    body = client.get(reverse("spoc:request_detail", args=[req.pk])).content.decode()
    assert reverse("spoc:request_step", args=[req.pk, S.AUTHORISED]) not in body


def test_a_provider_reads_nothing_of_the_case_or_the_child(client, people, child_case):
    req = at_state(people, S.SENT, case=child_case.pk)
    client.force_login(people.provider_spoc)
    response = client.get(reverse("spoc:request_detail", args=[req.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "07700 900123" in body
    for withheld in ("Harbottle", child_case.reference, "Kestrel", "exploit children", "Necessity", "Buyers"):
        assert withheld not in body
    assert reverse("spoc:request_step", args=[req.pk, S.ACKNOWLEDGED]) in body
    listing = client.get(reverse("spoc:workspace")).content.decode()
    assert req.reference in listing
    client.force_login(people.eastgate_spoc)
    refused = client.get(reverse("spoc:request_detail", args=[req.pk]))
    assert refused.status_code == 404 and req.reference not in refused.content.decode()
    assert req.reference not in client.get(reverse("spoc:workspace")).content.decode()
    assert AccessEvent.objects.filter(
        action=AccessAction.REFUSED, actor=people.eastgate_spoc, object_id=str(req.pk)
    ).exists()


def test_overdue_list(client, people):
    import time_machine

    req = at_state(people, S.SENT, category="threat_to_life", urgency="immediate")
    client.force_login(people.spoc)
    assert req.reference not in client.get(reverse("spoc:workspace"), {"overdue": "1"}).content.decode()
    with time_machine.travel(req.due_at + (req.due_at - req.sent_at), tick=False):
        client.force_login(people.spoc)
        assert req.reference in client.get(reverse("spoc:workspace"), {"overdue": "1"}).content.decode()


def test_errors_are_recorded_listed_and_reviewed(client, people):
    req = at_state(people, S.SENT)
    client.force_login(people.analyst)
    assert (
        client.post(reverse("spoc:error_create", args=[req.pk]), {"kind": "recordable", "description": "x"}).status_code
        == 403
    )
    client.force_login(people.spoc)
    client.post(
        reverse("spoc:error_create", args=[req.pk]), {"kind": "reportable", "description": "Sent to the wrong company."}
    )
    error = CommsError.objects.get()
    assert (error.kind, error.recorded_by) == ("reportable", people.spoc)
    assert client.post(reverse("spoc:error_review", args=[error.pk]), {"review": "Fine."}).status_code == 403
    client.force_login(people.sro)
    page = client.get(reverse("spoc:error_list"))
    assert "Sent to the wrong company." in page.content.decode()
    client.post(
        reverse("spoc:error_review", args=[error.pk]), {"review": "Reported."}
    )  # a reportable error needs the date
    assert CommsError.objects.get().sro_review == ""
    client.post(
        reverse("spoc:error_review", args=[error.pk]),
        {"review": "Reported.", "reported_to_ipc_on": date.today().isoformat()},
    )
    error.refresh_from_db()
    assert (error.sro_review, error.reviewed_by, error.reported_to_ipc_on) == ("Reported.", people.sro, date.today())
    client.force_login(people.analyst)
    assert client.get(reverse("spoc:error_list")).status_code == 404


def test_risk_score_formula():
    line = DealLine(
        children_exploited=5,  # capped at 3: 30
        firearms=True,  # 15
        missing_episodes=2,  # 6
        looked_after_children=1,  # 5
        runners=4,  # 8
        youngest_runner_age=15,  # under 16: 10
        violence=2,  # 10
        known_ocg=False,
    )
    assert risk_score(line) == 30 + 15 + 6 + 5 + 8 + 10 + 10
    line.youngest_runner_age = 17
    assert risk_score(line) == 79  # 16 or 17: 5
    line.known_ocg, line.violence, line.missing_episodes = True, 3, 40
    assert risk_score(line) == 100  # capped


def test_the_register_lists_lines_by_risk_and_shows_the_formula(client, people):
    low = deal_line_create(actor=people.analyst, data={"number": "07700 900101", "line_name": "Dee"})
    high = deal_line_create(actor=people.analyst, data={"number": "07700 900102", "line_name": "Zed", "firearms": True})
    client.force_login(people.officer)
    page = client.get(reverse("spoc:line_list"))
    assert [line.pk for line in page.context["lines"]] == [high.pk, low.pk]
    assert "10 × min(children exploited, 3)" in page.content.decode()
    assert client.post(reverse("spoc:line_create"), {"number": "07700 900103", "line_name": "Ace"}).status_code == 403


def test_bad_line_input_is_a_form_error(client, people):
    client.force_login(people.analyst)
    for data, field in (
        ({"number": "call me", "line_name": "Ace"}, "number"),
        ({"number": "07700 900101", "line_name": "Ace", "runners": -1}, "runners"),
    ):
        base = {
            "origin_force": "WMP",
            "children_exploited": 0,
            "missing_episodes": 0,
            "looked_after_children": 0,
            "runners": 0,
            "violence": 0,
        }
        response = client.post(reverse("spoc:line_create"), {**base, **data})
        assert response.status_code == 200 and response.context["form"].errors.get(field), field
    assert not DealLine.objects.exists()
    deal_line_create(actor=people.analyst, data={"number": "07700 900101", "line_name": "Ace"})
    with pytest.raises(Exception, match="already in the register"):
        deal_line_create(actor=people.analyst, data={"number": "+44 7700 900101", "line_name": "Ace again"})


def test_status_and_dates(client, people):
    line = deal_line_create(actor=people.analyst, data={"number": "07700 900201", "line_name": "Kay"})
    client.force_login(people.spoc)
    client.post(reverse("spoc:line_status", args=[line.pk]), {"status": "disrupted", "on": "2026-06-03"})
    line.refresh_from_db()
    assert (line.status, line.disrupted_on) == ("disrupted", date(2026, 6, 3))
    client.post(reverse("spoc:line_status", args=[line.pk]), {"status": "closed", "on": "2999-01-01"})
    line.refresh_from_db()
    assert line.status == "disrupted"


LINE_BUNDLE_TEXT = "Runner for the 'Mikey' county line; deal line 07700 900123 seized"


@pytest.fixture
def line_run(db, tmp_path, personas):
    """The tiny bundle with its runner's record naming a deal line, imported and analysed."""
    from analytics.analysis import analysis_run_create, analysis_run_execute
    from analytics.importing import bundle_import
    from analytics.models import ImportBatch
    from tests.conftest import TINY_BUNDLE, TINY_REFERENCE_DATE

    directory = tmp_path / "line-bundle"
    directory.mkdir()
    for name, text in TINY_BUNDLE.items():
        (directory / name).write_text(text.replace("Runner for a county line; deal line phone", LINE_BUNDLE_TEXT))
    batch = bundle_import(batch=ImportBatch.objects.create(), path=directory)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    return analysis_run_execute(run=analysis_run_create(actor=personas.supervisor, reference_date=TINY_REFERENCE_DATE))


def test_a_lines_page_shows_its_requests_people_cases_and_matching_groups(client, people, line_run):
    from analytics.models import Nominal
    from spoc.lines import groups_matching

    by_number = deal_line_create(
        actor=people.analyst,
        data={"number": "07700 900123", "line_name": "Unrelated"},
        people=Nominal.objects.filter(pk="N-TEST-2"),
    )
    by_name = deal_line_create(actor=people.analyst, data={"number": "07700 900999", "line_name": "Mikey"})
    neither = deal_line_create(actor=people.analyst, data={"number": "07700 900998", "line_name": "Lucky"})
    group = next(g for g in line_run.group_results.all() if "N-TEST-1" in g.members)
    for line in (by_number, by_name):
        matches = groups_matching(line)
        assert [(m.run_id, m.group) for m in matches] == [(line_run.pk, group.group)]
        assert "N-TEST-1" in matches[0].members_named
    assert groups_matching(neither) == []
    req = at_state(people, S.DRAFT, deal_line=by_number.pk)
    client.force_login(people.analyst)
    page = client.get(reverse("spoc:line_detail", args=[by_number.pk]))
    body = page.content.decode()
    assert req.reference in body and "N-TEST-2" in body
    assert reverse("analytics:run_group", args=[line_run.pk, group.group]) in body
    assert reverse("spoc:request_create") + f"?line={by_number.pk}" in body
    event = AccessEvent.objects.filter(action=AccessAction.VIEW, object_type="spoc.dealline").latest("id")
    assert event.subjects.filter(subject_type="analytics.nominal", subject_id="N-TEST-2").exists()


def test_home_page_links_the_workspace(client, people):
    for user in (people.spoc, people.provider_spoc):
        client.force_login(user)
        body = client.get(reverse("home")).content.decode()
        assert reverse("spoc:workspace") in body


def test_error_record_for_a_request_outside_scope_is_404(people):
    from django.http import Http404

    req = at_state(people, S.SENT, provider="provider-eastgate")
    with pytest.raises(Http404):
        error_record(actor=people.provider_spoc, request_id=req.pk, kind="recordable", description="x")


def test_the_applicant_amends_a_returned_application_and_submits_it_again(client, people):
    from spoc.transitions import request_transition

    req = at_state(people, S.RETURNED)
    client.force_login(people.spoc)
    assert client.get(reverse("spoc:request_edit", args=[req.pk])).status_code == 403
    client.force_login(people.analyst)
    page = client.get(reverse("spoc:request_edit", args=[req.pk]))
    assert page.status_code == 200 and "Returned by the SPoC" in page.content.decode()
    assert page.context["form"].initial["provider"] == "provider-northmoor"
    data = _form(application(provider="provider-northmoor", category="child_criminal_exploitation"))
    bad = client.post(reverse("spoc:request_edit", args=[req.pk]), {**data, "data_sought": "The audio of the calls"})
    assert bad.status_code == 200 and "warrant" in bad.content.decode()
    assert CommsRequest.objects.get(pk=req.pk).data_sought == req.data_sought
    necessity = "Less intrusive means (open-source checks, the handset's seizure) have been tried and failed."
    done = client.post(reverse("spoc:request_edit", args=[req.pk]), {**data, "necessity": necessity})
    assert done.status_code == 302
    assert CommsRequest.objects.get(pk=req.pk).necessity == necessity
    request_transition(actor=people.analyst, request_id=req.pk, to=S.SPOC_REVIEW)
    assert client.get(reverse("spoc:request_edit", args=[req.pk])).status_code == 409  # with the SPoC now
    assert AccessEvent.objects.filter(
        action=AccessAction.UPDATE, object_id=str(req.pk), reason="application amended"
    ).exists()
