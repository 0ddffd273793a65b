"""Police records as imported from force systems (METHOD.md section 1).

Ids are the force systems' own ids (strings) and are the primary keys: a re-import of the same
bundle matches rows by id without a lookup, and PostgreSQL COPY can upsert straight from
staging tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


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
    # No separate index on record: the unique constraint below starts with it.
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="links", db_index=False)
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


class SearchTermVersion(models.Model):
    """One immutable version of the search terms (METHOD.md section 2). Editing the terms
    creates a new version; a run records the version it used."""

    number = models.PositiveIntegerField(unique=True)
    groups = models.JSONField(help_text='[{"name": "COUNTY LINE", "weight": 1.0, "patterns": ["COUNTY\\\\s+LINES?"]}]')
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Search terms v{self.number}"


class CompletedRunError(Exception):
    """A completed analysis run is evidence: it never changes."""


class AnalysisRunQuerySet(models.QuerySet):
    """Bulk writes that refuse to touch a completed run.

    `update()` and `delete()` bypass `Model.save()`, so they check here: the selected rows are
    locked first (`select_for_update`, inside a transaction) so that none can complete between
    the check and the write. On PostgreSQL a trigger refuses the same at the database (migration
    0006), for writes that bypass the ORM altogether.
    """

    def _refuse_if_any_completed(self) -> None:
        """Caller must be inside a transaction: the lock lasts until it ends."""
        statuses = self.select_for_update().values_list("pk", "status")
        completed = sorted(pk for pk, status in statuses if status == AnalysisRun.Status.SUCCEEDED)
        if completed:
            raise CompletedRunError(f"Run {', '.join(map(str, completed))} is complete and cannot change.")

    def update(self, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            self._refuse_if_any_completed()
            return super().update(**kwargs)

    # Django reads these markers off the overriding methods as it does off its own; mypy cannot
    # type attributes set on a function.
    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        with transaction.atomic(using=self.db):
            self._refuse_if_any_completed()
            return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class AnalysisRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Complete"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    reference_date = models.DateField()
    beta = models.FloatField(default=0.25)
    threshold = models.FloatField(default=0.5)
    steps = models.PositiveSmallIntegerField(default=4)
    term_version = models.ForeignKey(SearchTermVersion, on_delete=models.PROTECT, related_name="runs")
    harm_table = models.ForeignKey(HarmTable, on_delete=models.PROTECT, related_name="runs")
    data_counts = models.JSONField(default=dict, blank=True)
    data_quality = models.JSONField(default=dict, blank=True)
    stage_timings = models.JSONField(default=dict, blank=True)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error = models.TextField(blank=True)
    document = models.JSONField(null=True, blank=True, help_text="The METHOD.md section 8 result document.")
    dismantling = models.JSONField(default=dict, blank=True, help_text="Order, reasons and R per strategy.")

    objects = AnalysisRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is None:
            super().save(*args, **kwargs)
            return
        with transaction.atomic(using=kwargs.get("using")):
            AnalysisRun.objects.filter(pk=self.pk)._refuse_if_any_completed()
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # The collector deletes the results first and the run row without a QuerySet.delete(),
        # so the instance path checks too.
        with transaction.atomic(using=kwargs.get("using")):
            AnalysisRun.objects.filter(pk=self.pk)._refuse_if_any_completed()
            return super().delete(*args, **kwargs)

    @property
    def params(self) -> dict:
        return {"beta": self.beta, "threshold": self.threshold, "steps": self.steps}

    @property
    def ordered_timings(self) -> list[tuple[str, float]]:
        """Stage timings in the order the stages ran (PostgreSQL's jsonb does not keep key order)."""
        from .method.pipeline import STAGES

        order = {stage: position for position, stage in enumerate(("load data", *STAGES, "store results"))}
        # Runs stored before the harm stage moved ahead of the groups used these names.
        order |= {"detect groups": order["groups and priority"], "harm and priority": order["groups and priority"]}
        return sorted(self.stage_timings.items(), key=lambda item: order.get(item[0], len(order)))


class AnalysisRunTransition(models.Model):
    """One change of a run's status: from what, to what, who or what made it, when and why.

    `actor` is the person responsible (the requester on creation, whoever asked for a
    cancellation); `actor_label` says who or what acted in words, also when no person did
    ("worker", "command:<os user>"). `from_status` is empty for the creation. Rows are written
    by `analytics.analysis` only, beside an access event, and never change.
    """

    run = models.ForeignKey(AnalysisRun, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=AnalysisRun.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=AnalysisRun.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run", "at", "id"]

    def __str__(self) -> str:
        return f"Run {self.run_id}: {self.from_status or 'new'} → {self.to_status} by {self.actor_label}"


class NominalResult(models.Model):
    """One kept nominal of a run, with everything an analyst needs to see why."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="nominal_results")
    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="results")
    direct_evidence = models.FloatField()
    score = models.FloatField(help_text="W(v), the propagated nominal weighting")
    group = models.IntegerField()
    is_child = models.BooleanField(default=False)
    age_unknown = models.BooleanField(default=False)
    is_vulnerable_adult = models.BooleanField(default=False)
    harm_cchi = models.FloatField(default=0.0)
    harm_ons = models.FloatField(default=0.0)
    betweenness = models.FloatField(default=0.0)
    betweenness_margin = models.FloatField(
        null=True, blank=True, help_text="95% half-width when betweenness was estimated from sampled sources"
    )
    strength = models.FloatField(default=0.0)
    eigenvector = models.FloatField(default=0.0)
    dismantle_rank = models.PositiveIntegerField(null=True, blank=True)
    route_to = models.CharField(max_length=64, blank=True, help_text="Local authority whose MASH receives the child")
    safeguarding_reasons = models.JSONField(default=list, blank=True)
    explanation = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "-score", "nominal_id"]
        constraints = [models.UniqueConstraint(fields=["run", "nominal"], name="nominal_result_unique")]
        indexes = [
            models.Index(fields=["run", "group"]),
            models.Index(fields=["run", "is_child"]),
            # The API's people-in-a-run lists, by score and by dismantling rank (benchmarks/bench_api.py).
            models.Index(fields=["run", "-score", "nominal_id"], name="analytics_result_by_score"),
            models.Index(fields=["run", "dismantle_rank", "nominal_id"], name="analytics_result_by_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.nominal_id} in run {self.run_id}"

    @property
    def betweenness_text(self) -> str:
        """Betweenness as shown: exact, or an estimate with its 95% margin."""
        if self.betweenness_margin is None:
            return f"{self.betweenness:,.1f}"
        return f"≈ {self.betweenness:,.0f} ± {self.betweenness_margin:,.0f}"


class GroupResult(models.Model):
    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="group_results")
    group = models.IntegerField()
    members = models.JSONField(default=list)
    size = models.PositiveIntegerField()
    soc_group_id = models.CharField(max_length=64, blank=True)
    harm_cchi = models.FloatField(default=0.0)
    harm_ons = models.FloatField(default=0.0)
    priority_rank = models.PositiveIntegerField()
    children_present = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "priority_rank"]
        constraints = [models.UniqueConstraint(fields=["run", "group"], name="group_result_unique")]

    def __str__(self) -> str:
        return f"Group {self.group} of run {self.run_id}"


class ValidationItem(models.Model):
    """One record of a run's validation sample (METHOD.md section 7), marked by a reviewer."""

    class Sample(models.TextChoices):
        ADDING = "adding", "Added relationships to the kept network (precision)"
        NOT_ADDING = "not_adding", "Matched a term but added none (specificity)"

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="validation_items")
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    sample = models.CharField(max_length=16, choices=Sample.choices)
    correct = models.BooleanField(null=True, blank=True, help_text="The reviewer's verdict; empty until reviewed")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "sample", "record_id"]
        constraints = [models.UniqueConstraint(fields=["run", "record", "sample"], name="validation_item_unique")]

    def __str__(self) -> str:
        return f"{self.record_id} ({self.sample}) in run {self.run_id}"


class RunLayout(models.Model):
    """Where the group-level graph of a run is drawn, and its robustness curves (analytics.layout).

    Written once, in the transaction that stores the run's results; never changed.
    """

    run = models.OneToOneField(AnalysisRun, on_delete=models.CASCADE, related_name="layout")
    group_positions = models.JSONField(default=dict, help_text='{"<group>": [x, y]}')
    group_edges = models.JSONField(default=list, help_text="[[group a, group b, links]], a < b")
    curves = models.JSONField(default=dict, help_text='{"<strategy>": [[fraction removed, LCC / N]]}')
    curves_note = models.CharField(max_length=300, blank=True)
    stage_counts = models.JSONField(default=dict, help_text="{provisional, deepened, kept}: people at each stage")
    seconds = models.FloatField(default=0.0, help_text="Time taken to compute the layout")

    def __str__(self) -> str:
        return f"Layout of run {self.run_id}"


class GroupLayout(models.Model):
    """Where each member of one group of a run is drawn, with the group's edges and the links
    its members have to other groups."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="group_layouts")
    group = models.IntegerField()
    positions = models.JSONField(default=dict, help_text='{"<nominal id>": [x, y]}')
    edges = models.JSONField(default=list, help_text="[[a, b, w]] inside the group")
    external = models.JSONField(default=list, help_text="[[member, other, other's group, w]]")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "group"], name="group_layout_unique")]

    def __str__(self) -> str:
        return f"Layout of group {self.group} of run {self.run_id}"
