"""Safeguarding cases: a child (or consenting vulnerable adult) found in the network, routed to
the MASH of their local authority, and the pathway each case follows (see pathway.py).

Partner agencies see a case only when it is shared with their agency or with them, for read or
for write (see portal.access). The permission tables below are django-guardian's direct
foreign-key models, so "cases I may see" is one indexed join.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.text import validate_postcode

SUMMARY_MAX_LENGTH = 20_000
# PostgreSQL refuses NUL in text: refuse it with a message instead of failing the request.
NO_NUL = ProhibitNullCharactersValidator()
CONSENT_SCOPE_MAX_LENGTH = 2_000
EARLIEST_DATE_OF_BIRTH = date(1900, 1, 1)


def validate_not_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError("This date is in the future; enter the date it happened.")


def validate_date_of_birth(value: date) -> None:
    validate_not_future(value)
    if value < EARLIEST_DATE_OF_BIRTH:
        raise ValidationError(f"Enter a date of birth after {EARLIEST_DATE_OF_BIRTH:%d %B %Y}.")


class CaseKind(models.TextChoices):
    CHILD = "child", "Child at risk of exploitation"
    VULNERABLE_ADULT = "vulnerable_adult", "Vulnerable adult"


class CaseState(models.TextChoices):
    """The pathway's states; the codes are the API's `state` values."""

    IDENTIFIED = "identified", "Identified (police review)"
    REFERRED = "referred", "Referred to the MASH"
    SCREENING = "screening", "Screening"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    CONTEXTUAL_MEETING = "contextual_meeting", "Contextual safeguarding meeting"
    DISRUPTION_PANEL = "disruption_panel", "Disruption panel"
    MONITORING = "monitoring", "Monitoring"
    CLOSED = "closed", "Closed"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


FINISHED_STATES = frozenset({CaseState.CLOSED, CaseState.NO_FURTHER_ACTION})


class RiskLevel(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class SocexHub(models.Model):
    """A police Serious Organised Crime and Exploitation hub: the single interface for the local
    authorities it covers. Which hub covers which authority is data (HubCoverage), editable."""

    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=40, unique=True)
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="socex_hubs")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HubCoverage(models.Model):
    hub = models.ForeignKey(SocexHub, on_delete=models.CASCADE, related_name="coverage")
    local_authority = models.OneToOneField(
        "accounts.Agency",
        on_delete=models.CASCADE,
        related_name="socex_hub_coverage",
        limit_choices_to={"kind": "local_authority"},
    )

    def __str__(self) -> str:
        return f"{self.hub} covers {self.local_authority}"


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    nominal = models.ForeignKey(
        "analytics.Nominal", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    forenames = models.CharField(max_length=150, validators=[NO_NUL])
    surname = models.CharField(max_length=100, validators=[NO_NUL])
    date_of_birth = models.DateField(null=True, blank=True, validators=[validate_date_of_birth])
    # Where the person lives, when known: the hub uses it, and the auditors' rules compare it
    # with the postcodes of the staff who look the person up (portal/audit/misuse.py).
    home_postcode = models.CharField(max_length=10, blank=True, validators=[validate_postcode])
    # Empty for a person whose authority is unknown or outside the seven: they wait in the
    # force-wide triage queue until a police officer sets it.
    local_authority = models.ForeignKey(
        "accounts.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"kind": "local_authority"},
    )
    recorded_local_authority = models.CharField(
        max_length=64, blank=True, help_text="The authority as police records gave it (may be outside the seven)"
    )
    hub = models.ForeignKey(SocexHub, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    needs_triage = models.BooleanField(default=False, db_index=True)
    state = models.CharField(max_length=32, choices=CaseState.choices, default=CaseState.IDENTIFIED, db_index=True)
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)
    # The officer's written concern: the only police words a partner reads.
    concern = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH), NO_NUL])
    summary = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH), NO_NUL])
    consent_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="Vulnerable adults: when the consent now in force was recorded."
    )
    next_due_step = models.CharField(max_length=64, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    case_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One case per person, whatever ran and however many runs finish at once.
            models.UniqueConstraint(
                fields=["nominal"], condition=models.Q(nominal__isnull=False), name="one_case_per_nominal"
            )
        ]
        indexes = [models.Index(fields=["local_authority", "state"]), models.Index(fields=["state", "next_due_at"])]
        permissions = [("override_consent", "Share a vulnerable adult's case without consent (risk to life)")]

    def __str__(self) -> str:
        return f"{self.reference} {self.forenames} {self.surname}"

    @property
    def overdue(self) -> bool:
        return self.next_due_at is not None and self.next_due_at < timezone.now()


class CaseRun(models.Model):
    """A run that identified the person: the first opened the case, later ones are new
    intelligence on it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="run_links")
    run = models.ForeignKey("analytics.AnalysisRun", on_delete=models.PROTECT, related_name="case_links")
    opened_case = models.BooleanField(default=False)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "run"], name="case_run_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} found by run {self.run_id}"


class CaseTransition(models.Model):
    """One step of the pathway: who moved the case from where to where, why, with what."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=32, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=32, choices=CaseState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)])
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_state or '-'} -> {self.to_state}"


class Consent(models.Model):
    """A vulnerable adult's consent to their details being shared: who gave it, how, when, and
    with which agencies for what purpose. Only the agencies in its scope may be given access.
    Withdrawn consent is kept (the trail of what was allowed when), never deleted."""

    class GivenBy(models.TextChoices):
        PERSON = "person", "The person themself"
        ADVOCATE = "advocate", "An independent advocate, with the person's agreement"
        ATTORNEY = "attorney", "An attorney under a lasting power of attorney"
        DEPUTY = "deputy", "A deputy appointed by the Court of Protection"

    class Method(models.TextChoices):
        WRITTEN = "written", "In writing (signed form)"
        VERBAL = "verbal", "Verbally, noted at the time"
        ELECTRONIC = "electronic", "By e-mail or message"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    given_by = models.CharField(max_length=16, choices=GivenBy.choices)
    given_by_name = models.CharField(max_length=150, help_text="Name of whoever gave consent")
    method = models.CharField(max_length=16, choices=Method.choices)
    given_on = models.DateField(validators=[validate_not_future])
    agencies = models.ManyToManyField("accounts.Agency", related_name="+")
    scope = models.TextField(
        validators=[MaxLengthValidator(CONSENT_SCOPE_MAX_LENGTH)],
        help_text="What may be shared and for what purpose, in the person's own terms",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Consent for {self.case.reference} given {self.given_on:%d %b %Y}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class Screening(models.Model):
    """An Exploitation Screening Tool: the answers, the score, the level it suggests and the
    level the practitioner chose (with the reason when they differ)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="screenings")
    answers = models.JSONField(help_text="{indicator code: true/false}")
    score = models.PositiveSmallIntegerField()
    suggested_level = models.CharField(max_length=8, choices=RiskLevel.choices)
    chosen_level = models.CharField(max_length=8, choices=RiskLevel.choices)
    override_reason = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)])
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-screened_at", "-id"]

    def __str__(self) -> str:
        return f"Screening of {self.case_id}: {self.chosen_level}"


class MeetingKind(models.TextChoices):
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    CONTEXTUAL_MEETING = "contextual_meeting", "Contextual safeguarding meeting"
    DISRUPTION_PANEL = "disruption_panel", "Disruption panel"


class StrategyOutcome(models.TextChoices):
    SECTION_47 = "section_47", "Section 47 enquiry"
    CHILD_PROTECTION_PLAN = "child_protection_plan", "Child protection plan"
    CHILD_IN_NEED_PLAN = "child_in_need_plan", "Child in need plan"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


class Meeting(models.Model):
    """A strategy discussion, contextual safeguarding meeting or disruption panel about a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(max_length=32, choices=MeetingKind.choices)
    held_on = models.DateField(validators=[validate_not_future])
    attendees = models.ManyToManyField("accounts.Agency", related_name="+")
    attendee_names = models.CharField(max_length=1000, blank=True)
    minutes = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)])
    outcome = models.CharField(max_length=32, choices=StrategyOutcome.choices, blank=True)
    decision = models.CharField(max_length=32, choices=CaseState.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.held_on} for {self.case_id}"


class DisruptionTacticKind(models.Model):
    """The managed list of the Home Office Child Exploitation Disruption Toolkit's tactics."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DisruptionTactic(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tactics")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="tactics")
    kind = models.ForeignKey(DisruptionTacticKind, on_delete=models.PROTECT, related_name="+")
    owner_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    review_on = models.DateField()
    notes = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["review_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.owner_agency}) for {self.case_id}"


class MonitoringReview(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"Review of {self.case_id} due {self.due_on}"


class NrmDecision(models.TextChoices):
    PENDING = "pending", "Awaiting decision"
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"


class NrmReferral(models.Model):
    """A National Referral Mechanism referral for the person (one per case)."""

    class AdultBasis(models.TextChoices):
        CONSENT = "consent", "The adult consented to the referral"
        DUTY_TO_NOTIFY = "duty_to_notify", "No consent: Duty to Notify the Home Office"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="nrm")
    first_responder = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    submitted_on = models.DateField(validators=[validate_not_future])
    reasonable_grounds = models.CharField(max_length=16, choices=NrmDecision.choices, default=NrmDecision.PENDING)
    reasonable_grounds_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    conclusive_grounds = models.CharField(max_length=16, choices=NrmDecision.choices, default=NrmDecision.PENDING)
    conclusive_grounds_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    adult_basis = models.CharField(max_length=16, choices=AdultBasis.choices, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"NRM referral for {self.case_id}"


class LinkedInvestigation(models.Model):
    """A police investigation the person is part of, with the decision not to criminalise:
    Outcome 22 (diversion instead of prosecution) and the section 45 Modern Slavery Act defence."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="investigations")
    crime_reference = models.CharField(max_length=40)
    outcome_22 = models.BooleanField(default=False, help_text="Outcome 22: diversionary activity, no prosecution")
    diversion_activity = models.CharField(max_length=500, blank=True)
    decided_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    section_45_considered = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "crime_reference"], name="investigation_unique_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.crime_reference} for {self.case_id}"


class Timescales(models.Model):
    """How many working days each step may take, per local authority (defaults when absent)."""

    local_authority = models.OneToOneField(
        "accounts.Agency",
        on_delete=models.CASCADE,
        related_name="timescales",
        limit_choices_to={"kind": "local_authority"},
    )
    police_review_days = models.PositiveSmallIntegerField(default=1)
    mash_decision_days = models.PositiveSmallIntegerField(default=1)
    screening_days = models.PositiveSmallIntegerField(default=1)
    strategy_discussion_days = models.PositiveSmallIntegerField(default=1)
    contextual_meeting_days = models.PositiveSmallIntegerField(default=1)
    disruption_panel_days = models.PositiveSmallIntegerField(default=5)
    monitoring_review_days = models.PositiveSmallIntegerField(default=20)
    nrm_reasonable_grounds_days = models.PositiveSmallIntegerField(default=5)

    class Meta:
        verbose_name_plural = "timescales"

    def __str__(self) -> str:
        return f"Timescales of {self.local_authority}"


class Notification(models.Model):
    """An in-portal message to one person (a reminder, an escalation, new intelligence)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"To {self.recipient_id}: {self.message}"


class ReferenceCounter(models.Model):
    """The next case reference number where the database has no sequences (SQLite, whose
    writers are serialised). On PostgreSQL references come from a real sequence."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
