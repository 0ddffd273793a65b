"""Demo data of the SPoC liaison, through the real services (`python manage.py load_spoc_demo`,
after `load_demo_data`): two communications providers with a provider SPoC each, a designated
senior officer and a senior responsible officer, deal lines taken from the demo run's records
(so they match its groups), and requests in every state, backdated so that the two providers'
response times differ (Northmoor answers county-lines requests days after sexual-exploitation
ones; Eastgate answers both within the day). Idempotent: a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from analytics.models import Record, RecordNominal
from portal.accounts.models import Agency, AgencyKind, User
from portal.accounts.roles import Role
from portal.accounts.services import agency_create, user_create

from . import services
from .models import CommsRequest, CommsRequestTransition, DealLine, RequestState
from .transitions import request_transition

S = RequestState
# name, code
PROVIDERS = [
    ("Northmoor Mobile (synthetic provider)", "provider-northmoor"),
    ("Eastgate Telecom (synthetic provider)", "provider-eastgate"),
]
# username, role, agency code, first name, last name
USERS = [
    ("provider.spoc", Role.PROVIDER_SPOC, "provider-northmoor", "Lena", "Fischer"),
    ("eastgate.spoc", Role.PROVIDER_SPOC, "provider-eastgate", "Tariq", "Hussain"),
    ("dso", Role.DESIGNATED_SENIOR_OFFICER, "wmp", "Carol", "Adeyemi"),
    ("sro", Role.SENIOR_RESPONSIBLE_OFFICER, "wmp", "Martin", "Gale"),
]

# The path through the lifecycle to each state (the last step's data named in STEP_DATA).
PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SPOC_REVIEW: [S.SPOC_REVIEW],
    S.RETURNED: [S.SPOC_REVIEW, S.RETURNED],
    S.AWAITING_AUTHORISATION: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION],
    S.AUTHORISED: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.AUTHORISED],
    S.REFUSED: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.REFUSED],
    S.SENT: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.AUTHORISED, S.SENT],
    S.ACKNOWLEDGED: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.AUTHORISED, S.SENT, S.ACKNOWLEDGED],
    S.CLARIFICATION_REQUESTED: [
        S.SPOC_REVIEW,
        S.AWAITING_AUTHORISATION,
        S.AUTHORISED,
        S.SENT,
        S.ACKNOWLEDGED,
        S.CLARIFICATION_REQUESTED,
    ],
    S.FULFILLED: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.AUTHORISED, S.SENT, S.ACKNOWLEDGED, S.FULFILLED],
    S.DECLINED: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.AUTHORISED, S.SENT, S.DECLINED],
    S.WITHDRAWN: [S.SPOC_REVIEW, S.WITHDRAWN],
    S.EXPIRED: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.AUTHORISED, S.EXPIRED],
    S.CLOSED: [S.SPOC_REVIEW, S.AWAITING_AUTHORISATION, S.AUTHORISED, S.SENT, S.ACKNOWLEDGED, S.FULFILLED, S.CLOSED],
}
STEP_DATA: dict[str, dict[str, str]] = {
    S.RETURNED: {"reason": "The necessity statement does not say why less intrusive means will not do."},
    S.AWAITING_AUTHORISATION: {"feasibility_note": "The provider holds 12 months of events data for this number."},
    S.AUTHORISED: {"authorisation_reference": "OCDA-DEMO", "reasons": "Necessary and proportionate."},
    S.REFUSED: {"authorisation_reference": "OCDA-DEMO", "reasons": "Collateral intrusion not addressed."},
    S.CLARIFICATION_REQUESTED: {"question": "Is the date range in UTC or UK time?"},
    S.SENT: {"answer": "UK time."},
    S.DECLINED: {"reason": "The number was not ours in the period asked."},
    S.WITHDRAWN: {"reason": "The child was found safe; the data is no longer needed."},
    S.EXPIRED: {"reason": "The preservation period ran out before the application was made."},
    S.CLOSED: {"reason": "Data received and checked."},
}


def application(*, provider: str, category: str, kind: str = "events", **extra) -> dict:
    """A complete application's fields (entity or events data, county-lines investigation)."""
    data = {
        "kind": kind,
        "provider": provider,
        "investigation": "Operation Kestrel (county lines, Birmingham to Shropshire)",
        "identifier": "07700 900123",
        "data_sought": "Subscriber details and call data records (numbers, times, cell sites).",
        "date_from": (timezone.localdate() - timedelta(days=30)).isoformat(),
        "date_to": timezone.localdate().isoformat(),
        "statutory_purpose": "serious_crime",
        "necessity": "The number is the line's deal line; its users exploit children.",
        "proportionality": "Thirty days only, the period the line was active.",
        "collateral_intrusion": "Buyers' numbers will appear; they are not analysed further.",
        "category": category,
        "urgency": "routine",
        "serious_crime_threshold": True,
    }
    data.update(extra)
    return data


def actor_for(step_to: str, req: CommsRequest, people: dict[str, User]) -> User:
    if step_to == S.SPOC_REVIEW:
        return req.applicant
    if step_to in (S.ACKNOWLEDGED, S.CLARIFICATION_REQUESTED, S.FULFILLED, S.DECLINED):
        return people[req.provider.code]
    return people["spoc"]


def upload_demo_response(req: CommsRequest, user: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = b"number,called,started_at,cell\n07700900123,07700900456,2026-06-01T21:14:00,BHM-0421\n"
    services.provider_response_upload(
        actor=user, request_id=req.pk, upload=SimpleUploadedFile("cdr.csv", body, content_type="text/csv")
    )


def take_path(req: CommsRequest, target: str, people: dict[str, User]) -> CommsRequest:
    for to in PATHS[target]:
        actor = actor_for(to, req, people)
        if to == S.FULFILLED:
            upload_demo_response(req, actor)
        data = dict(STEP_DATA.get(to, {}))
        if to in (S.AUTHORISED, S.REFUSED):
            data["decided_on"] = timezone.localdate().isoformat()
        if to == S.SENT and req.state != S.CLARIFICATION_REQUESTED:
            data.pop("answer", None)
        req = request_transition(actor=actor, request_id=req.pk, to=to, data=data)
    return req


def backdate(req: CommsRequest, *, sent_hours_ago: float, ack_after: float | None, fulfil_after: float | None) -> None:
    """Move a sent request's clock into the past, as if sent at 09:00 on the latest working
    Monday at least `sent_hours_ago` hours ago and answered after the given hours (demo data
    only: every moment shifts together; a Monday so that a day's answers fall in the week)."""
    from datetime import datetime, time

    from safeguarding.timescales import is_working_day

    from . import clocks
    from .transitions import refresh_clock

    now = timezone.now()
    day = timezone.localtime(now - timedelta(hours=sent_hours_ago)).date()
    while day.weekday() != 0 or not is_working_day(day):
        day -= timedelta(days=1)
    sent = timezone.make_aware(datetime.combine(day, time(9, 0)))
    level = clocks.level_for(provider_id=req.provider_id, category=req.category)
    req.submitted_at = sent - timedelta(hours=6)
    req.sent_at = sent
    req.acknowledge_due_at = clocks.due(sent, level.acknowledge_amount, level.acknowledge_unit)
    if req.acknowledged_at is not None and ack_after is not None:
        req.acknowledged_at = sent + timedelta(hours=ack_after)
        req.fulfil_due_at = clocks.due(req.acknowledged_at, level.fulfil_amount, level.fulfil_unit)
    if req.fulfilled_at is not None and fulfil_after is not None:
        req.fulfilled_at = sent + timedelta(hours=fulfil_after)
    refresh_clock(req)
    req.save()
    moments: dict[str, object] = {
        S.SENT: req.sent_at,
        S.ACKNOWLEDGED: req.acknowledged_at,
        S.FULFILLED: req.fulfilled_at,
    }
    for transition in req.transitions.all():
        moment = moments.get(transition.to_state)
        if moment is not None:
            CommsRequestTransition.objects.filter(pk=transition.pk).update(at=moment)


def _line_names_from_run(limit: int = 4) -> list[tuple[str, list[str]]]:
    """The demo bundle's line names that its records use most, with the people those records
    name (so each line matches groups of the demo run)."""
    from analytics.synthetic.vocabulary import LINE_NAMES

    from .lines import records_naming

    found = []
    for name in LINE_NAMES:
        probe = DealLine(number="00000000", number_digits="00000000", line_name=name.title())
        records = list(Record.objects.filter(records_naming(probe)).values_list("pk", flat=True)[:200])
        if records:
            people = sorted(
                set(RecordNominal.objects.filter(record_id__in=records).values_list("nominal_id", flat=True))
            )
            found.append((name.title(), people[:12], len(records)))
    found.sort(key=lambda item: -item[2])
    return [(name, people) for name, people, _ in found[:limit]]


def load(stdout=None) -> dict[str, int]:
    """Create the demo's providers, people, deal lines and requests (once)."""
    say = stdout.write if stdout is not None else (lambda text: None)
    from portal.accounts.management.commands.create_demo_users import DEMO_PASSWORD

    with transaction.atomic():
        for name, code in PROVIDERS:
            agency_create(name=name, code=code, kind=AgencyKind.COMMUNICATIONS_PROVIDER)
        agencies = {agency.code: agency for agency in Agency.objects.all()}
        for username, role, agency_code, first, last in USERS:
            if not User.objects.filter(username=username).exists():
                user_create(
                    username=username,
                    password=DEMO_PASSWORD,
                    agency=agencies[agency_code],
                    role=role,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.invalid",
                )
    if CommsRequest.objects.exists():
        say("SPoC demo already loaded.")
        return {"requests": 0, "lines": 0}
    people = {
        "spoc": User.objects.get(username="spoc"),
        "analyst": User.objects.get(username="analyst"),
        "dso": User.objects.get(username="dso"),
        "provider-northmoor": User.objects.get(username="provider.spoc"),
        "provider-eastgate": User.objects.get(username="eastgate.spoc"),
    }
    analyst = people["analyst"]
    lines = []
    for number, (name, nominal_ids) in enumerate(_line_names_from_run(), start=1):
        from analytics.models import Nominal

        line = services.deal_line_create(
            actor=analyst,
            data={
                "number": f"07700 90{number:04d}",
                "line_name": name,
                "areas_supplied": ["Shrewsbury, Telford", "Leamington Spa", "Hereford", "Worcester"][number % 4],
                "children_exploited": number % 4,
                "firearms": number == 1,
                "missing_episodes": 2 * number,
                "looked_after_children": number % 2,
                "runners": 2 + number,
                "youngest_runner_age": 14 + number % 3,
                "violence": number % 4,
                "known_ocg": number % 2 == 1,
            },
            people=Nominal.objects.filter(pk__in=nominal_ids),
        )
        lines.append(line)
    if len(lines) > 1:
        services.deal_line_status_set(actor=analyst, line=lines[-1], status="disrupted")
    first_line: DealLine | None = lines[0] if lines else None
    count = 0
    # One request in every state (Northmoor, other serious crime), each about the first line.
    for state in PATHS:
        provider = "provider-northmoor"
        extra: dict = {"deal_line": first_line.pk if first_line else None}
        if state == S.EXPIRED:
            extra |= {"kind": "preservation", "preservation_expires_on": timezone.localdate().isoformat()}
        req = services.request_create(
            actor=analyst, data=application(provider=provider, category="other_serious_crime", **extra)
        )
        req = take_path(req, state, people)
        if req.sent_at is not None:
            backdate(req, sent_hours_ago=24 * 14, ack_after=30, fulfil_after=100)
        count += 1
    # Response times that differ: per provider, per category, three fulfilled requests each.
    timings = {
        # provider: category: (hours to acknowledge, hours to fulfil) for three requests
        "provider-northmoor": {
            "child_sexual_exploitation": [(2, 20), (3, 26), (5, 30)],
            "child_criminal_exploitation": [(40, 110), (52, 150), (70, 190)],
        },
        "provider-eastgate": {
            "child_sexual_exploitation": [(1, 12), (2, 16), (2, 20)],
            "child_criminal_exploitation": [(2, 14), (3, 18), (4, 22)],
        },
    }
    for provider, by_category in timings.items():
        for category, pairs in by_category.items():
            for ack, fulfil in pairs:
                req = services.request_create(
                    actor=analyst,
                    data=application(
                        provider=provider, category=category, deal_line=first_line.pk if first_line else None
                    ),
                )
                req = take_path(req, S.FULFILLED, people)
                backdate(req, sent_hours_ago=fulfil + 48, ack_after=ack, fulfil_after=fulfil)
                count += 1
    # An overdue acknowledgement, and an urgent threat-to-life request authorised by the DSO.
    overdue = services.request_create(
        actor=analyst, data=application(provider="provider-eastgate", category="other_serious_crime")
    )
    overdue = take_path(overdue, S.SENT, people)
    backdate(overdue, sent_hours_ago=24 * 10, ack_after=None, fulfil_after=None)
    urgent = services.request_create(
        actor=analyst,
        data=application(
            provider="provider-eastgate",
            category="threat_to_life",
            urgency="immediate",
            kind="entity",
            data_sought="Subscriber details of the number that sent threats to kill.",
        ),
    )
    for to in (S.SPOC_REVIEW, S.AWAITING_AUTHORISATION):
        urgent = request_transition(
            actor=actor_for(to, urgent, people), request_id=urgent.pk, to=to, data=STEP_DATA.get(to, {})
        )
    request_transition(
        actor=people["dso"],
        request_id=urgent.pk,
        to=S.AUTHORISED,
        data={"reasons": "A child's life is at risk; no time for the OCDA."},
    )
    services.error_record(
        actor=people["spoc"],
        request_id=overdue.pk,
        kind="recordable",
        description="The date range was keyed a day early and corrected before sending.",
    )
    count += 2
    say(f"SPoC demo: {len(lines)} deal lines, {count} requests, providers {', '.join(c for _, c in PROVIDERS)}.")
    return {"requests": count, "lines": len(lines)}
