"""Communications-data requests to phone and tech companies (Investigatory Powers Act 2016 Part 3
and its Communications Data Code of Practice), the providers' responses, errors, service levels,
and the register of deal lines they are often about."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils import timezone

TEXT_MAX = 4000


class RequestKind(models.TextChoices):
    ENTITY = "entity", "Entity data (who uses a number or account)"
    EVENTS = "events", "Events data (calls, messages, connections, cell sites)"
    PRESERVATION = "preservation", "Preservation (keep data while an application is made)"


class Category(models.TextChoices):
    THREAT_TO_LIFE = "threat_to_life", "Threat to life"
    CHILD_SEXUAL_EXPLOITATION = "child_sexual_exploitation", "Child sexual exploitation"
    CHILD_CRIMINAL_EXPLOITATION = "child_criminal_exploitation", "Child criminal exploitation / county lines"
    OTHER_SERIOUS_CRIME = "other_serious_crime", "Other serious crime"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    IMMEDIATE = "immediate", "Immediate (threat to life)"


class StatutoryPurpose(models.TextChoices):
    """Section 60A(7) of the Investigatory Powers Act 2016 (those a police force may use)."""

    NATIONAL_SECURITY = "national_security", "In the interests of national security"
    SERIOUS_CRIME = "serious_crime", "Preventing or detecting serious crime"
    CRIME = "crime", "Preventing or detecting crime or preventing disorder"
    PUBLIC_SAFETY = "public_safety", "In the interests of public safety"
    DEATH_OR_INJURY = "death_or_injury", "Preventing death or injury or damage to health"
    VULNERABLE_PERSON = (
        "vulnerable_person",
        "Assisting in identifying a person who has died or cannot identify themselves",
    )


class SensitiveProfession(models.TextChoices):
    NONE = "", "None"
    JOURNALIST = "journalist", "Journalist (journalistic source)"
    LAWYER = "lawyer", "Lawyer (legal privilege)"
    DOCTOR = "doctor", "Doctor or medical professional"
    MP = "mp", "Member of Parliament"


class RequestState(models.TextChoices):
    """The codes are the API's `state` values."""

    DRAFT = "draft", "Draft"
    SPOC_REVIEW = "spoc_review", "SPoC review"
    RETURNED = "returned", "Returned to the applicant"
    AWAITING_AUTHORISATION = "awaiting_authorisation", "Awaiting authorisation"
    AUTHORISED = "authorised", "Authorised"
    REFUSED = "refused", "Refused"
    SENT = "sent", "Sent to the provider"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the provider"
    CLARIFICATION_REQUESTED = "clarification_requested", "Clarification asked by the provider"
    FULFILLED = "fulfilled", "Fulfilled"
    DECLINED = "declined", "Declined by the provider"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"
    CLOSED = "closed", "Closed"


OPEN_STATES = frozenset(
    {
        RequestState.DRAFT,
        RequestState.SPOC_REVIEW,
        RequestState.RETURNED,
        RequestState.AWAITING_AUTHORISATION,
        RequestState.AUTHORISED,
        RequestState.SENT,
        RequestState.ACKNOWLEDGED,
        RequestState.CLARIFICATION_REQUESTED,
    }
)
# States a provider has ever been part of: the only ones its SPoC may see.
PROVIDER_STATES = frozenset(
    {
        RequestState.SENT,
        RequestState.ACKNOWLEDGED,
        RequestState.CLARIFICATION_REQUESTED,
        RequestState.FULFILLED,
        RequestState.DECLINED,
        RequestState.CLOSED,
        RequestState.WITHDRAWN,
        RequestState.EXPIRED,
    }
)


class AuthorisationRoute(models.TextChoices):
    NONE = "", "Not yet authorised"
    OCDA = "ocda", "Office for Communications Data Authorisations"
    URGENT = "urgent", "Urgent internal authorisation (designated senior officer)"


class ClockUnit(models.TextChoices):
    HOURS = "hours", "Hours"
    WORKING_DAYS = "working_days", "Working days"


class ServiceLevel(models.Model):
    """How fast a provider should acknowledge and fulfil a request of a category. A row with no
    provider is the default for every provider; a provider's own row wins."""

    provider = models.ForeignKey(
        "accounts.Agency",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_levels",
        limit_choices_to={"kind": "communications_provider"},
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    acknowledge_amount = models.PositiveSmallIntegerField(validators=[MaxValueValidator(500)])
    acknowledge_unit = models.CharField(max_length=16, choices=ClockUnit.choices)
    fulfil_amount = models.PositiveSmallIntegerField(validators=[MaxValueValidator(500)])
    fulfil_unit = models.CharField(max_length=16, choices=ClockUnit.choices)

    class Meta:
        ordering = ["provider__name", "category"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "category"], name="spoc_service_level_unique"),
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(provider__isnull=True), name="spoc_service_level_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider or 'Default'}: {self.get_category_display()}"


class DealLineStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISRUPTED = "disrupted", "Disrupted"
    CLOSED = "closed", "Closed"


class Violence(models.IntegerChoices):
    NONE = 0, "None known"
    LOW = 1, "Threats or intimidation"
    MEDIUM = 2, "Assaults"
    HIGH = 3, "Serious violence (weapons, kidnap, stabbings)"


class DealLine(models.Model):
    """A county line's deal line: the number buyers ring, and what is known of the line behind it."""

    number = models.CharField(max_length=20, unique=True, help_text="As dialled, e.g. 07700 900123")
    number_digits = models.CharField(max_length=20, db_index=True, editable=False)
    line_name = models.CharField(max_length=60, help_text="What the line is known as, e.g. 'Mikey'")
    origin_force = models.CharField(max_length=80, default="West Midlands Police")
    areas_supplied = models.CharField(max_length=300, blank=True, help_text="Towns and areas, comma-separated")
    status = models.CharField(max_length=16, choices=DealLineStatus.choices, default=DealLineStatus.ACTIVE)
    identified_on = models.DateField(default=timezone.localdate)
    disrupted_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    # The assessment factors (source method, section 3.1).
    children_exploited = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(500)])
    firearms = models.BooleanField(default=False, help_text="The line or its gang has a firearms capability")
    missing_episodes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(1000)], help_text="Missing episodes of the line's linked children"
    )
    looked_after_children = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(500)])
    runners = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(500)])
    youngest_runner_age = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(99)])
    violence = models.PositiveSmallIntegerField(choices=Violence.choices, default=Violence.NONE)
    known_ocg = models.BooleanField(default=False, help_text="Run by a known organised crime group")
    risk_score = models.PositiveSmallIntegerField(default=0, editable=False)
    people = models.ManyToManyField("analytics.Nominal", blank=True, related_name="deal_lines")
    cases = models.ManyToManyField("safeguarding.Case", blank=True, related_name="deal_lines")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-risk_score", "line_name"]

    def __str__(self) -> str:
        return f"{self.line_name} ({self.number})"


class CommsRequest(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    investigation = models.CharField(max_length=200, help_text="Operation name or crime reference")
    case = models.ForeignKey(
        "safeguarding.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="comms_requests"
    )
    nominal = models.ForeignKey(
        "analytics.Nominal", null=True, blank=True, on_delete=models.PROTECT, related_name="comms_requests"
    )
    deal_line = models.ForeignKey(DealLine, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    provider = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="comms_requests",
        limit_choices_to={"kind": "communications_provider"},
    )
    identifier = models.CharField(max_length=120, help_text="The number, account or device the request is about")
    data_sought = models.TextField(validators=[MaxLengthValidator(TEXT_MAX)])
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    statutory_purpose = models.CharField(max_length=24, choices=StatutoryPurpose.choices)
    necessity = models.TextField(validators=[MaxLengthValidator(TEXT_MAX)])
    proportionality = models.TextField(validators=[MaxLengthValidator(TEXT_MAX)])
    collateral_intrusion = models.TextField(validators=[MaxLengthValidator(TEXT_MAX)])
    category = models.CharField(max_length=32, choices=Category.choices)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    serious_crime_threshold = models.BooleanField(
        default=False, help_text="Events data: the offence meets the serious crime threshold (IPA s.86(2A))"
    )
    sensitive_profession = models.CharField(max_length=16, choices=SensitiveProfession.choices, blank=True)
    preservation_expires_on = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=32, choices=RequestState.choices, default=RequestState.DRAFT, db_index=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    spoc = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    feasibility_note = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    returned_reason = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    authorisation_route = models.CharField(max_length=8, choices=AuthorisationRoute.choices, blank=True)
    authorisation_reference = models.CharField(max_length=60, blank=True)
    authorisation_reasons = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    authorisation_date = models.DateField(null=True, blank=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgent_lapses_at = models.DateTimeField(null=True, blank=True)
    urgent_confirmed_at = models.DateTimeField(null=True, blank=True)
    clarification_question = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    clarification_answer = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    decline_reason = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    fulfil_due_at = models.DateTimeField(null=True, blank=True)
    # The running clock: what the provider must do next and by when (null when nothing is due).
    due_step = models.CharField(max_length=16, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()


class CommsRequestTransition(models.Model):
    request = models.ForeignKey(CommsRequest, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=32, choices=RequestState.choices, blank=True)
    to_state = models.CharField(max_length=32, choices=RequestState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["request", "at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_state or 'new'} → {self.to_state}"


class ProviderResponse(models.Model):
    """A file a provider uploaded in answer to a request; kept outside the public media folder and
    served only by the audited download view."""

    request = models.ForeignKey(CommsRequest, on_delete=models.PROTECT, related_name="responses")
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=100, unique=True)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} for {self.request_id}"


class ErrorKind(models.TextChoices):
    RECORDABLE = "recordable", "Recordable (kept by the force)"
    REPORTABLE = "reportable", "Reportable (to the Investigatory Powers Commissioner)"


class CommsError(models.Model):
    """An error in acquiring communications data (Code of Practice, chapter 24)."""

    request = models.ForeignKey(CommsRequest, on_delete=models.PROTECT, related_name="errors")
    kind = models.CharField(max_length=16, choices=ErrorKind.choices)
    description = models.TextField(validators=[MaxLengthValidator(TEXT_MAX)])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    sro_review = models.TextField(blank=True, validators=[MaxLengthValidator(TEXT_MAX)])
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reported_to_ipc_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} error on {self.request_id}"


class ReferenceCounter(models.Model):
    """The next request number per year (rows locked while taken)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.value}"
