"""Police records as imported from force systems (METHOD.md section 1).

Ids are the force systems' own ids (strings) and are the primary keys: a re-import of the same
bundle matches rows by id without a lookup, and PostgreSQL COPY can upsert straight from
staging tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Source(models.TextChoices):
    CRIMES = "CRIMES", "Crime report"
    IMS = "IMS", "Intelligence log"
    ICIS = "ICIS", "Custody record"
    PINS = "PINS", "Prison release"
    COMPACT = "COMPACT", "Missing person report"


class Nominal(models.Model):
    """A person named in police records."""

    nominal_id = models.CharField(max_length=64, primary_key=True)
    surname = models.CharField(max_length=100, blank=True)
    forenames = models.CharField(max_length=150, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=16, blank=True)
    local_authority = models.CharField(max_length=64, blank=True, db_index=True)
    flags = models.CharField(max_length=200, blank=True, help_text="';'-separated, e.g. LAC;VULNERABLE_ADULT")

    class Meta:
        ordering = ["nominal_id"]

    def __str__(self) -> str:
        return f"{self.forenames} {self.surname} ({self.nominal_id})".strip()

    @property
    def flag_list(self) -> list[str]:
        return [flag for flag in self.flags.split(";") if flag]


class Record(models.Model):
    """One crime, intelligence log, custody record, prison release or missing-person report."""

    record_id = models.CharField(max_length=64, primary_key=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    recorded_at = models.DateField()
    offence_code = models.CharField(max_length=16, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["record_id"]

    def __str__(self) -> str:
        return f"{self.source} {self.record_id}"


class RecordNominal(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="links")
    nominal = models.ForeignKey(Nominal, on_delete=models.CASCADE, related_name="record_links")
    role = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "nominal", "role"], name="record_nominal_role_unique")]

    def __str__(self) -> str:
        return f"{self.nominal_id} {self.role} on {self.record_id}"


class Association(models.Model):
    """A known relationship between two nominals that no record ties together."""

    nominal_a = models.ForeignKey(Nominal, on_delete=models.CASCADE, related_name="+")
    nominal_b = models.ForeignKey(Nominal, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nominal_a", "nominal_b", "kind"], name="association_unique")]

    def __str__(self) -> str:
        return f"{self.nominal_a_id} ~ {self.nominal_b_id} ({self.kind})"


class SocMembership(models.Model):
    """Membership of an existing Serious Organised Crime group."""

    soc_group_id = models.CharField(max_length=64, db_index=True)
    nominal = models.ForeignKey(Nominal, on_delete=models.CASCADE, related_name="soc_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["soc_group_id", "nominal"], name="soc_membership_unique")]

    def __str__(self) -> str:
        return f"{self.nominal_id} in {self.soc_group_id}"


class HarmTable(models.Model):
    """A version of the harm reference table (CCHI days and ONS weights by offence code)."""

    name = models.CharField(max_length=120)
    source = models.CharField(max_length=16, choices=[("default", "Shipped default"), ("bundle", "From an import")])
    sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class HarmEntry(models.Model):
    table = models.ForeignKey(HarmTable, on_delete=models.CASCADE, related_name="entries")
    offence_code = models.CharField(max_length=16)
    description = models.CharField(max_length=200, blank=True)
    cchi_days = models.FloatField()
    ons_weight = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["table", "offence_code"], name="harm_entry_unique")]

    def __str__(self) -> str:
        return f"{self.offence_code}: {self.cchi_days} days, ONS {self.ons_weight}"


class ImportBatch(models.Model):
    """One import of a bundle: who, when, which files (with SHA-256), what changed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Rejected"

    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    source_path = models.CharField(max_length=500, blank=True)
    files = models.JSONField(default=list, blank=True, help_text="[{name, sha256, rows}]")
    counts = models.JSONField(default=dict, blank=True, help_text="{file: {added, updated, unchanged}}")
    errors = models.JSONField(default=list, blank=True)
    progress = models.FloatField(default=0.0)
    harm_table = models.ForeignKey(HarmTable, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_status_display()})"
