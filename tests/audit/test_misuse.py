"""The misuse rules: each pattern planted through the real services (the trail's record_access,
the sign-in page, the case pages, the account-change service) at frozen moments, and exactly the
right alerts expected - rule, user and the events named. A normal day for 30 users raises none."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from portal.audit.misuse import DEFAULTS, evaluate_rules, rules
from portal.audit.models import AccessAction, AccessEvent, Alert, MisuseRuleCode
from portal.audit.relationships import explain_access
from portal.audit.services import record_access
from safeguarding.models import CaseKind
from safeguarding.services import case_create
from tests.audit.conftest import at
from tests.conftest import require_services

pytestmark = pytest.mark.django_db
R = MisuseRuleCode
CASE = "safeguarding.case"


def found(alerts) -> list[tuple[str, str, list[int]]]:
    return sorted((a.rule, a.actor_username, sorted(a.events.values_list("id", flat=True))) for a in alerts)


def view(clock, user, obj, moment) -> int:
    return clock.do(moment, record_access, action=AccessAction.VIEW, actor=user, obj=obj, via="web").pk


@pytest.fixture
def unrelated_case(personas, clock):
    """A Birmingham child's case opened by the Birmingham MASH and shared with the force: the
    analyst can read it, but no work of theirs explains opening it."""
    from portal.access import Access, access_grant

    def make():
        case = case_create(
            actor=personas.mash_birmingham,
            kind=CaseKind.CHILD,
            forenames="Tia",
            surname="Marlowe",
            date_of_birth=date(2011, 4, 4),
            local_authority=personas.agencies["birmingham"],
            summary="Went missing twice this month.",
            home_postcode="b11aa",
        )
        access_grant(actor=personas.mash_manager, target=case, level=Access.READ, agency=personas.agencies["wmp"])
        return case

    return clock.do(at(-1, 9), make)


def test_out_of_hours_one_alert_per_user_per_day(personas, child_case, clock, fresh_rules):
    fresh_rules()
    analyst = personas.analyst
    view(clock, analyst, child_case, at(0, 10))  # Wednesday 10:00, in hours
    late = [view(clock, analyst, child_case, at(0, 22, 30)), view(clock, analyst, child_case, at(0, 23, 10))]
    early = view(clock, analyst, child_case, at(1, 6, 59))  # Thursday, a minute before the day starts
    saturday = view(clock, analyst, child_case, at(3, 11))
    alerts = evaluate_rules()
    assert found(alerts) == [
        (R.OUT_OF_HOURS, "analyst", late),
        (R.OUT_OF_HOURS, "analyst", [early]),
        (R.OUT_OF_HOURS, "analyst", [saturday]),
    ]
    # Evaluating again with one more late access the same night adds it to that night's alert.
    later = view(clock, analyst, child_case, at(0, 23, 50))
    assert evaluate_rules() == []
    wednesday = Alert.objects.get(rule=R.OUT_OF_HOURS, detail__day=at(0, 0).date().isoformat())
    assert sorted(wednesday.events.values_list("id", flat=True)) == [*late, later]


def _user(username, role, agency, personas):
    from portal.accounts.services import user_create

    return user_create(username=username, password="x", agency=personas.agencies[agency], role=role, validate=False)


def test_volume_spike_against_own_and_peers_days(personas, child_case, clock, fresh_rules):
    from portal.accounts.roles import Role

    mash, peer = personas.mash_birmingham, _user("mash.peer", Role.MASH_PRACTITIONER, "birmingham", personas)
    busy = _user("mash.busy", Role.MASH_PRACTITIONER, "birmingham", personas)
    for offset in range(-28, 0):
        if at(offset, 9).weekday() < 5:
            for n in range(5):
                view(clock, mash, child_case, at(offset, 9, n))
                view(clock, peer, child_case, at(offset, 10, n))
            for n in range(25):
                view(clock, busy, child_case, at(offset, 11, n))
    fresh_rules()
    spike = [view(clock, mash, child_case, at(0, 9, n)) for n in range(55)]
    # 55 is not three times busy's usual 25: their own history explains it.
    for n in range(55):
        view(clock, busy, child_case, at(0, 10, n))
    # 49 is below the floor of 50 events however quiet the user usually is.
    for n in range(49):
        view(clock, peer, child_case, at(0, 11, n))
    alerts = evaluate_rules()
    assert found(alerts) == [(R.VOLUME_SPIKE, "mash.birmingham", spike)]
    detail = alerts[0].detail
    assert (detail["count"], detail["own_median"], detail["peers"]) == (55, 5.0, 2)


def test_repeated_views_without_a_relationship(personas, unrelated_case, clock, fresh_rules):
    fresh_rules()
    analyst, mash = personas.analyst, personas.mash_birmingham
    views = [view(clock, analyst, unrelated_case, at(day, 10)) for day in (0, 2, 5)]
    # The MASH that holds the case opens it as often: their team's case explains it.
    for day in (0, 1, 2, 6):
        view(clock, mash, unrelated_case, at(day, 11))
    # Spread over more than seven days: never three within a week.
    officer = personas.officer
    for day in (0, 8, 16):
        view(clock, officer, unrelated_case, at(day, 12))
    alerts = evaluate_rules()
    assert found(alerts) == [(R.REPEATED_NO_RELATIONSHIP, "analyst", views)]
    alert = alerts[0]
    assert (alert.subject_type, alert.subject_id) == (CASE, str(unrelated_case.pk))
    expected = explain_access(analyst, CASE, str(unrelated_case.pk)).looked_for_text
    assert alert.detail["looked_for"] == expected and len(expected) == 4
    assert explain_access(mash, CASE, str(unrelated_case.pk)).found == "case_team"
    # A fourth view adds to the same alert.
    fourth = view(clock, analyst, unrelated_case, at(6, 10))
    assert evaluate_rules() == []
    assert sorted(alert.events.values_list("id", flat=True)) == [*views, fourth]


def test_looking_up_family_or_a_colleague(personas, unrelated_case, clock, fresh_rules):
    from portal.accounts.models import User

    analyst = personas.analyst
    # Vetting details, as an administrator sets them on the account's admin page (tested in
    # tests/portal/test_admin.py); the case above was opened with the postcode "b11aa".
    User.objects.filter(pk=analyst.pk).update(last_name="Marlowe", home_postcode="B1 1AA")
    User.objects.filter(pk=personas.spoc.pk).update(
        first_name="Dexter", last_name="Okoro", date_of_birth=date(1990, 2, 2)
    )
    colleague_case = clock.do(
        at(-1, 9),
        case_create,
        actor=personas.mash_birmingham,
        kind=CaseKind.CHILD,
        forenames="Dexter",
        surname="Okoro",
        date_of_birth=date(1990, 2, 2),
        local_authority=personas.agencies["birmingham"],
    )
    stranger = clock.do(
        at(-1, 9),
        case_create,
        actor=personas.mash_birmingham,
        kind=CaseKind.CHILD,
        forenames="Ada",
        surname="Marlowe",  # same surname, another postcode
        local_authority=personas.agencies["birmingham"],
    )
    fresh_rules()
    analyst.refresh_from_db()
    family = view(clock, analyst, unrelated_case, at(0, 10))
    colleague = view(clock, analyst, colleague_case, at(0, 11))
    view(clock, analyst, stranger, at(0, 12))
    # The MASH practitioner shares the surname and postcode too, but her team holds the case.
    User.objects.filter(pk=personas.mash_birmingham.pk).update(last_name="Marlowe", home_postcode="B11AA")
    view(clock, personas.mash_birmingham, unrelated_case, at(0, 13))
    alerts = evaluate_rules()
    assert found(alerts) == [
        (R.PERSONAL_CONNECTION, "analyst", [family]),
        (R.PERSONAL_CONNECTION, "analyst", [colleague]),
    ]
    by_kind = {a.detail["connection"]: a for a in alerts}
    assert set(by_kind) == {"family", "colleague"}
    assert "spoc" in by_kind["colleague"].message
    assert (
        by_kind["family"].detail["looked_for"] == explain_access(analyst, CASE, str(unrelated_case.pk)).looked_for_text
    )


def test_any_access_to_a_marked_person_alerts_and_names_the_explanation(personas, child_case, clock, fresh_rules):
    from portal.audit.alerts import subject_marker_remove, subject_marker_set

    mash, health = personas.mash_birmingham, personas.partner_health
    view(clock, mash, child_case, at(0, 9))  # before the marker
    marker = clock.do(
        at(0, 9, 30),
        subject_marker_set,
        actor=personas.supervisor,
        subject_type=CASE,
        subject_id=str(child_case.pk),
        kind="sensitive",
        reason="The family is in the news",
    )
    fresh_rules()
    seen = [view(clock, mash, child_case, at(0, 10)), view(clock, mash, child_case, at(0, 14))]
    shared = view(clock, health, child_case, at(0, 11))
    # A list that merely includes the child does not alert (include_lists is off by default).
    clock.do(at(0, 12), record_access, action=AccessAction.LIST, actor=mash, object_type=CASE, shown=[child_case])
    clock.do(at(1, 9), subject_marker_remove, actor=personas.supervisor, marker=marker, reason="No longer needed")
    view(clock, mash, child_case, at(1, 10))  # after the removal
    alerts = evaluate_rules()
    assert found(alerts) == [
        (R.MARKED_SUBJECT, "mash.birmingham", seen),
        (R.MARKED_SUBJECT, "partner.health", [shared]),
    ]
    by_user = {a.actor_username: a for a in alerts}
    assert "team" in by_user["mash.birmingham"].detail["explanation_found"]  # case_team, named but not dismissed
    assert "shared" in by_user["partner.health"].detail["explanation_found"]


def test_access_after_a_role_change_and_by_a_dormant_account(personas, child_case, clock, fresh_rules):
    from portal.accounts.roles import Role
    from portal.accounts.services import privilege_changes_record, privilege_snapshot, user_create

    moved = personas.mash_coventry

    def change_role():
        before = privilege_snapshot(moved)
        moved.role = Role.MASH_MANAGER
        moved.save()
        return privilege_changes_record(actor=personas.administrator, obj=moved, before=before)[0]

    sleeper = clock.do(
        at(-100, 9),
        user_create,
        username="sleeper",
        password="x",
        agency=personas.agencies["birmingham"],
        role=Role.MASH_PRACTITIONER,
        validate=False,
    )
    view(clock, sleeper, child_case, at(-70, 10))
    awake = _user_active_recently = clock.do(
        at(-40, 9),
        user_create,
        username="awake",
        password="x",
        agency=personas.agencies["birmingham"],
        role=Role.MASH_PRACTITIONER,
        validate=False,
    )
    view(clock, awake, child_case, at(-30, 10))
    fresh_rules()
    change = clock.do(at(0, 9), change_role)
    after = view(clock, moved, child_case, at(2, 10))
    view(clock, moved, child_case, at(9, 10))  # outside the seven days
    woke = view(clock, sleeper, child_case, at(0, 10))
    view(clock, sleeper, child_case, at(0, 11))  # active again: not dormant any more
    view(clock, _user_active_recently, child_case, at(0, 10))  # thirty days is not dormant
    alerts = evaluate_rules()
    assert found(alerts) == [
        (R.AFTER_ACCOUNT_CHANGE, "mash.coventry", [change.pk, after]),
        (R.AFTER_ACCOUNT_CHANGE, "sleeper", [woke]),
    ]
    dormant = next(a for a in alerts if a.actor_username == "sleeper")
    assert dormant.detail["idle_days"] == 70


def test_bursts_of_failed_sign_ins_and_lock_outs(client, personas, clock, fresh_rules):
    fresh_rules()

    def sign_in(username, address, moment):
        clock.do(
            moment,
            client.post,
            reverse("accounts:login"),
            {"username": username, "password": "wrong"},
            REMOTE_ADDR=address,
        )

    for n in range(5):
        sign_in("analyst", "10.20.0.1", at(0, 9, n))
    for n in range(4):
        sign_in("supervisor", "10.20.0.2", at(0, 9, n))  # four: below the threshold
    for n in range(20):
        sign_in(f"guess{n}", "10.20.0.3", at(0, 10, n // 4))  # twenty names from one address
    for n in range(19):
        sign_in(f"other{n}", "10.20.0.4", at(0, 11, n))  # nineteen over 18 minutes
    failures = AccessEvent.objects.filter(action=AccessAction.LOGIN_FAILED)
    analyst = sorted(failures.filter(actor_username="analyst").values_list("id", flat=True))
    address = sorted(failures.filter(ip_address="10.20.0.3").values_list("id", flat=True))
    locked = list(AccessEvent.objects.filter(action=AccessAction.LOCKED_OUT).values_list("id", flat=True))
    assert len(analyst) == 5 and len(address) == 20 and len(locked) == 1  # axes locked the analyst out
    alerts = evaluate_rules()
    assert found(alerts) == sorted(
        [
            (R.FAILED_SIGN_INS, "analyst", analyst),
            (R.FAILED_SIGN_INS, "analyst", locked),
            (R.FAILED_SIGN_INS, "", address),
        ]
    )
    assert {a.detail.get("address") for a in alerts if a.detail["kind"] == "burst"} == {None, "10.20.0.3"}


def test_bulk_exports_and_large_lists(personas, clock, fresh_rules):
    fresh_rules()
    analyst = personas.analyst

    def act(action, moment, **kwargs):
        return clock.do(moment, record_access, action=action, actor=analyst, via="web", **kwargs).pk

    export = act(
        AccessAction.EXPORT,
        at(0, 10),
        object_type="analytics.nominal",
        shown=[("analytics.nominal", f"N-{n}") for n in range(100)],
    )
    act(AccessAction.EXPORT, at(0, 11), object_type="analytics.nominal", result_count=99)
    listed = act(AccessAction.LIST, at(0, 12), object_type=CASE, result_count=500)
    act(AccessAction.SEARCH, at(0, 13), object_type=CASE, result_count=499)
    alerts = evaluate_rules()
    assert found(alerts) == [(R.BULK, "analyst", [export]), (R.BULK, "analyst", [listed])]


def test_refused_attempt_on_another_agencys_record(client, personas, child_case, clock, fresh_rules):
    fresh_rules()

    def attempt(user, url):
        client.force_login(user)  # inside the frozen day, so the session is fresh
        return client.get(url)

    case_url = reverse("safeguarding:case_detail", args=[child_case.pk])
    assert clock.do(at(0, 10), attempt, personas.mash_coventry, case_url).status_code == 404
    # No such case is nobody's record; the audit area is an area, not a record.
    clock.do(at(0, 10), attempt, personas.mash_birmingham, reverse("safeguarding:case_detail", args=[999999]))
    clock.do(at(0, 10), attempt, personas.outsider, reverse("audit:event_list"))
    # A refusal on the user's own agency's case (changing it read-only) is not another agency's.
    clock.do(
        at(0, 11),
        record_access,
        action=AccessAction.REFUSED,
        actor=personas.mash_birmingham,
        obj=child_case,
        reason="read-only access",
    )
    refused = AccessEvent.objects.get(action=AccessAction.REFUSED, actor=personas.mash_coventry)
    alerts = evaluate_rules()
    assert found(alerts) == [(R.REFUSED_OTHER_AGENCY, "mash.coventry", [refused.pk])]


def test_evaluation_is_incremental_and_never_raises_twice(personas, clock, fresh_rules):
    fresh_rules()
    clock.do(at(0, 22), record_access, action=AccessAction.EXPORT, actor=personas.analyst, result_count=300, via="web")
    first = evaluate_rules()
    assert sorted(a.rule for a in first) == [R.BULK, R.OUT_OF_HOURS]
    assert evaluate_rules() == []
    top = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first()
    assert {rule.evaluated_through for rule in rules().values()} == {top}


def test_threshold_edits_take_effect_and_a_disabled_rule_is_silent(client, personas, clock, fresh_rules):
    client.force_login(personas.auditor)
    response = client.post(
        reverse("audit:rule_list"),
        {"code": R.BULK, f"{R.BULK}-enabled": "on", f"{R.BULK}-export_records": "200", f"{R.BULK}-list_records": "500"},
    )
    assert response.status_code == 302
    event = AccessEvent.objects.filter(action=AccessAction.CONFIGURE).latest("id")
    assert event.detail["before"]["params"]["export_records"] == 100
    assert event.detail["after"]["params"]["export_records"] == 200
    fresh_rules()
    clock.do(at(0, 10), record_access, action=AccessAction.EXPORT, actor=personas.analyst, result_count=150)
    assert evaluate_rules() == []
    clock.do(at(0, 11), record_access, action=AccessAction.EXPORT, actor=personas.analyst, result_count=200)
    assert [a.rule for a in evaluate_rules()] == [R.BULK]
    client.post(
        reverse("audit:rule_list"), {"code": R.BULK, f"{R.BULK}-export_records": "200", f"{R.BULK}-list_records": "500"}
    )
    assert not rules()[R.BULK].enabled
    clock.do(at(0, 12), record_access, action=AccessAction.EXPORT, actor=personas.analyst, result_count=5000)
    assert evaluate_rules() == []


@pytest.mark.parametrize(
    ("code", "values", "message"),
    [
        (R.BULK, {"export_records": "lots", "list_records": "500"}, "whole number"),
        (R.BULK, {"export_records": "0", "list_records": "500"}, "from 1 to"),
        (R.OUT_OF_HOURS, {"start_hour": "19", "end_hour": "7"}, "must end after it starts"),
        (R.FAILED_SIGN_INS, {"per_username": "5", "per_address": "20", "window_minutes": ""}, "whole number"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_saved(client, personas, code, values, message):
    client.force_login(personas.auditor)
    before = rules()[code].params
    configured = AccessEvent.objects.filter(action=AccessAction.CONFIGURE).count()
    data = {"code": code, f"{code}-enabled": "on", **{f"{code}-{name}": value for name, value in values.items()}}
    response = client.post(reverse("audit:rule_list"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert rules()[code].params == before == DEFAULTS[code]
    assert AccessEvent.objects.filter(action=AccessAction.CONFIGURE).count() == configured


def test_a_normal_day_for_thirty_users_raises_nothing(personas, clock, fresh_rules):
    """Thirty people across roles and agencies do a day's ordinary work on the cases their
    teams hold, in working hours: sign in, list, open cases several times, search, a small
    export, a mistyped password."""
    from portal.access import Access
    from portal.accounts.roles import Role
    from portal.accounts.services import user_create
    from safeguarding.models import SocexHub
    from safeguarding.services import case_share

    agencies = personas.agencies
    staff = []

    def setup():
        for n in range(6):
            for code in ("birmingham", "coventry", "solihull"):
                role = Role.MASH_PRACTITIONER if n < 4 else Role.MASH_MANAGER
                staff.append(
                    user_create(username=f"{code}.{n}", password="x", agency=agencies[code], role=role, validate=False)
                )
        for n in range(4):
            officer = user_create(
                username=f"officer.{n}",
                password="x",
                agency=agencies["wmp"],
                role=Role.POLICE_SAFEGUARDING_OFFICER,
                validate=False,
            )
            SocexHub.objects.get(code="birmingham-hub").officers.add(officer)
            staff.append(officer)
        for n in range(4):
            staff.append(
                user_create(
                    username=f"analyst.{n}", password="x", agency=agencies["wmp"], role=Role.ANALYST, validate=False
                )
            )
        for n in range(4):
            staff.append(
                user_create(
                    username=f"health.{n}",
                    password="x",
                    agency=agencies["health"],
                    role=Role.PARTNER_PRACTITIONER,
                    validate=False,
                )
            )
        cases = {}
        for code in ("birmingham", "coventry", "solihull"):
            cases[code] = [
                case_create(
                    actor=personas.analyst,
                    kind=CaseKind.CHILD,
                    forenames=f"Child{i}",
                    surname=f"{code.title()}{i}",
                    local_authority=agencies[code],
                )
                for i in range(4)
            ]
        for case in cases["birmingham"]:
            case_share(actor=personas.supervisor, case=case, agency=agencies["health"], level=Access.READ)
        return cases

    cases = clock.do(at(-1, 8), setup)
    assert len(staff) == 30
    fresh_rules()
    for index, user in enumerate(staff):
        code = user.agency.code if user.agency.code in cases else "birmingham"
        mine = cases[code]
        hour = 8 + index % 3
        clock.do(at(0, hour), record_access, action=AccessAction.LOGIN, actor=user, via="web")
        if index % 10 == 0:
            clock.do(
                at(0, hour, 1), record_access, action=AccessAction.LOGIN_FAILED, actor_username=user.username, via="web"
            )
        clock.do(
            at(0, hour, 2), record_access, action=AccessAction.LIST, actor=user, object_type=CASE, shown=mine, via="web"
        )
        for n in range(12):
            view(clock, user, mine[n % len(mine)], at(0, hour + 1 + n // 3, (n * 13) % 60))
        clock.do(
            at(0, 15),
            record_access,
            action=AccessAction.SEARCH,
            actor=user,
            object_type=CASE,
            query="child",
            shown=mine[:2],
            via="web",
        )
        if index % 5 == 0:
            clock.do(
                at(0, 16),
                record_access,
                action=AccessAction.EXPORT,
                actor=user,
                object_type=CASE,
                shown=mine,
                via="web",
            )
        clock.do(at(0, 17), record_access, action=AccessAction.LOGOUT, actor=user, via="web")
    assert AccessEvent.objects.filter(at__date=at(0, 12).date()).count() > 450
    assert evaluate_rules() == []


@pytest.mark.services
def test_the_rules_on_postgresql(personas, unrelated_case, clock, fresh_rules):
    """The set-based queries (grouping by UK day, JSON key lookups) on the production database."""
    require_services()
    fresh_rules()
    analyst = personas.analyst
    views = [view(clock, analyst, unrelated_case, at(day, 21)) for day in (0, 1, 2)]
    for n in range(60):
        view(clock, personas.mash_birmingham, unrelated_case, at(6, 10, n % 60))
    alerts = evaluate_rules()
    assert found(alerts) == sorted(
        [
            (R.OUT_OF_HOURS, "analyst", [views[0]]),
            (R.OUT_OF_HOURS, "analyst", [views[1]]),
            (R.OUT_OF_HOURS, "analyst", [views[2]]),
            (R.REPEATED_NO_RELATIONSHIP, "analyst", views),
            (
                R.VOLUME_SPIKE,
                "mash.birmingham",
                sorted(
                    AccessEvent.objects.filter(actor=personas.mash_birmingham, at__gte=at(6, 0)).values_list(
                        "id", flat=True
                    )
                ),
            ),
        ]
    )
    assert evaluate_rules() == []


def test_the_demo_seed_trips_every_rule_once_and_is_idempotent(client, db):
    """`make demo`'s history: four weeks of ordinary work, and one planted pattern per rule."""
    from django.core.management import call_command

    from portal.accounts.models import User
    from portal.audit.seed import audit_demo_seed

    call_command("create_demo_users", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    written, planted, alerts = audit_demo_seed()
    assert written > 3000 and len(planted) == 9
    assert {alert.rule for alert in alerts} == set(R.values)
    by_rule: dict[str, list[str]] = {}
    for alert in alerts:
        by_rule.setdefault(alert.rule, []).append(alert.actor_username or alert.detail.get("username", ""))
    assert by_rule[R.OUT_OF_HOURS] == ["mash.coventry"]  # the ordinary weeks are all in working hours
    assert by_rule[R.VOLUME_SPIKE] == ["officer.birmingham"]
    assert sorted(by_rule[R.PERSONAL_CONNECTION]) == ["analyst", "supervisor"]
    events = AccessEvent.objects.count()
    from portal.audit.chain import verify_subjects

    shown = verify_subjects()  # the seeded history carries the digest of what each entry showed
    assert shown.intact and shown.entries == events
    again = audit_demo_seed()
    assert again[0] == 0 and again[2] == [] and AccessEvent.objects.count() == events
    assert User.objects.exclude(date_of_birth=None).count() == User.objects.count()
    client.force_login(User.objects.get(username="auditor"))
    assert client.get(reverse("audit:alert_list")).status_code == 200
    for alert in alerts:
        assert client.get(reverse("audit:alert_detail", args=[alert.pk])).status_code == 200
