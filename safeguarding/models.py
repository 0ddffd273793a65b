"""Safeguarding cases: a child (or consenting vulnerable adult) found in the network, routed to
the MASH of their local authority.

Partner agencies see a case only when it is shared with their agency or with them, for read or
for write (see portal.access). The permission tables below are django-guardian's direct
foreign-key models, so "cases I may see" is one indexed join.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


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
    date_of_birth = models.DateField(null=True, blank=True)
    local_authority = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"kind": "local_authority"},
    )
    summary = models.TextField(blank=True)
    consent_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="Vulnerable adults: when they consented to sharing."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.forenames} {self.surname}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
