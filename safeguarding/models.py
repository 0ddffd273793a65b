"""Safeguarding cases: a child (or consenting vulnerable adult) found in the network, routed to
the MASH of their local authority.

Partner agencies see a case only when it is shared with their agency or with them, for read or
for write (see portal.access). The permission tables below are django-guardian's direct
foreign-key models, so "cases I may see" is one indexed join.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

SUMMARY_MAX_LENGTH = 20_000
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
    CHILD = "child", "Child"
    VULNERABLE_ADULT = "vulnerable_adult", "Vulnerable adult"


class Case(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    nominal = models.ForeignKey(
        "analytics.Nominal", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    forenames = models.CharField(max_length=150)
    surname = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True, validators=[validate_date_of_birth])
    local_authority = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"kind": "local_authority"},
    )
    summary = models.TextField(blank=True, validators=[MaxLengthValidator(SUMMARY_MAX_LENGTH)])
    consent_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="Vulnerable adults: when the consent now in force was recorded."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.forenames} {self.surname}"


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


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
