"""Agencies and the people who work for them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Group
from django.db import models

from portal.text import validate_postcode

from .roles import Role


class AgencyKind(models.TextChoices):
    POLICE_FORCE = "police_force", "Police force"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education"
    CHARITY = "charity", "Charity"
    YOUTH_OFFENDING = "youth_offending", "Youth offending service"
    COMMUNICATIONS_PROVIDER = "communications_provider", "Communications provider"


class Agency(models.Model):
    """An organisation taking part in the partnership. Every user belongs to exactly one.

    Each agency owns one auth Group so that object permissions granted to the agency (through
    django-guardian's group permissions) reach every member at once.
    """

    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    @property
    def is_local_authority(self) -> bool:
        return self.kind == AgencyKind.LOCAL_AUTHORITY


class User(AbstractUser):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=32, choices=Role.choices)
    # Held for vetting, and so the auditors' rules can tell when someone looks up themselves,
    # their family or neighbours, or a colleague (portal/audit/misuse.py).
    date_of_birth = models.DateField(null=True, blank=True)
    home_postcode = models.CharField(max_length=10, blank=True, validators=[validate_postcode])

    REQUIRED_FIELDS = ["email", "agency", "role"]

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username
