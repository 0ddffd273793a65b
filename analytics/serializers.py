"""The shapes of the analyst's API (`/api/v1/runs/...`, `/api/v1/exports/`): runs, their groups,
the people in a run with the explanation of their score, and exports.

Police intelligence only: the viewsets serve analysts and intelligence supervisors. A child or a
vulnerable adult is marked as someone to protect (`protect`), never by a record role.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .exports import ExportFormat, ExportKind
from .models import AnalysisRun, GroupResult, NominalResult

LARGEST_ID = 2**63 - 1
ORDERINGS_GROUPS = {
    "priority": ("priority_rank", "group"),
    "-harm_cchi": ("-harm_cchi", "priority_rank"),
    "-harm_ons": ("-harm_ons", "priority_rank"),
    "-size": ("-size", "priority_rank"),
    "-children": ("-children_present", "priority_rank"),
}
ORDERINGS_NOMINALS = {
    "-score": ("-score", "nominal_id"),
    "dismantle_rank": ("dismantle_rank", "nominal_id"),
    "-harm_cchi": ("-harm_cchi", "nominal_id"),
    "-betweenness": ("-betweenness", "nominal_id"),
    "nominal_id": ("nominal_id",),
}


class RunSerializer(serializers.ModelSerializer):
    term_version = serializers.IntegerField(source="term_version.number", read_only=True)
    requested_by = serializers.SerializerMethodField(help_text="The username of who asked for the run, if anyone.")

    class Meta:
        model = AnalysisRun
        fields = [
            "id",
            "status",
            "stage",
            "progress",
            "reference_date",
            "created_at",
            "started_at",
            "finished_at",
            "requested_by",
            "term_version",
        ]
        read_only_fields = fields

    def get_requested_by(self, run: AnalysisRun) -> str | None:
        return run.requested_by.get_username() if run.requested_by is not None else None


class RunDetailSerializer(RunSerializer):
    parameters = serializers.SerializerMethodField()
    stage_counts = serializers.SerializerMethodField(
        help_text="How many people at each stage (provisional, deepened, kept) and the data counted."
    )
    data_quality = serializers.JSONField(read_only=True, help_text="The data-quality report of the run.")
    stage_timings = serializers.JSONField(read_only=True, help_text="Seconds per stage.")
    groups = serializers.SerializerMethodField(help_text="Groups found (0 until the run has finished).")
    kept = serializers.SerializerMethodField(help_text="People kept in the network.")
    children = serializers.SerializerMethodField(help_text="Children identified for safeguarding.")

    class Meta(RunSerializer.Meta):
        fields = [
            *RunSerializer.Meta.fields,
            "parameters",
            "stage_counts",
            "data_quality",
            "stage_timings",
            "groups",
            "kept",
            "children",
            "error",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "beta": {"type": "number"},
                "threshold": {"type": "number"},
                "steps": {"type": "integer"},
                "harm_table": {"type": "string"},
            },
        }
    )
    def get_parameters(self, run: AnalysisRun) -> dict[str, Any]:
        return {"beta": run.beta, "threshold": run.threshold, "steps": run.steps, "harm_table": run.harm_table.name}

    # The view counts the run's results once and passes them in the context.
    def get_groups(self, run: AnalysisRun) -> int:
        return int(self.context.get("counts", {}).get("groups", 0))

    def get_kept(self, run: AnalysisRun) -> int:
        return int(self.context.get("counts", {}).get("kept", 0))

    def get_children(self, run: AnalysisRun) -> int:
        return int(self.context.get("counts", {}).get("children", 0))

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_stage_counts(self, run: AnalysisRun) -> dict[str, Any]:
        return dict(run.data_counts or {})


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroupResult
        fields = [
            "group",
            "priority_rank",
            "size",
            "harm_cchi",
            "harm_ons",
            "children_present",
            "soc_group_id",
        ]
        read_only_fields = fields


class GroupDetailSerializer(GroupSerializer):
    members = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The members' nominal ids; each is a person in the run.",
    )

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "members"]
        read_only_fields = fields


class GroupFilterSerializer(serializers.Serializer):
    """The filters of a run's groups list."""

    children = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only groups with (true) or without (false) children."
    )
    soc = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only groups associated (true) or not (false) with a SOC group.",
    )
    min_size = serializers.IntegerField(required=False, min_value=0, max_value=LARGEST_ID)
    min_harm_cchi = serializers.FloatField(required=False, min_value=0)
    min_harm_ons = serializers.FloatField(required=False, min_value=0)
    max_priority = serializers.IntegerField(
        required=False, min_value=1, max_value=LARGEST_ID, help_text="Priority rank at most this (1 is the highest)."
    )
    ordering = serializers.ChoiceField(choices=list(ORDERINGS_GROUPS), required=False, default="priority")


class NominalFilterSerializer(serializers.Serializer):
    """The filters of the people in a run."""

    group = serializers.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)
    protect = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only children and vulnerable adults (true), or only others (false).",
    )
    ordering = serializers.ChoiceField(choices=list(ORDERINGS_NOMINALS), required=False, default="-score")


def _protect(result: NominalResult) -> str | None:
    if result.is_child:
        return "child"
    if result.is_vulnerable_adult:
        return "vulnerable_adult"
    return None


class NominalResultSerializer(serializers.ModelSerializer):
    forenames = serializers.CharField(source="nominal.forenames", read_only=True)
    surname = serializers.CharField(source="nominal.surname", read_only=True)
    date_of_birth = serializers.DateField(source="nominal.date_of_birth", read_only=True, allow_null=True)
    protect = serializers.SerializerMethodField(
        help_text="child, vulnerable_adult, or null: a person to protect (never a record role)."
    )

    class Meta:
        model = NominalResult
        fields = [
            "nominal_id",
            "forenames",
            "surname",
            "date_of_birth",
            "group",
            "score",
            "direct_evidence",
            "protect",
            "age_unknown",
            "harm_cchi",
            "harm_ons",
            "betweenness",
            "betweenness_margin",
            "strength",
            "eigenvector",
            "dismantle_rank",
            "route_to",
        ]
        read_only_fields = fields

    def get_protect(self, result: NominalResult) -> str | None:
        return _protect(result)


class TermSerializer(serializers.Serializer):
    group = serializers.CharField()
    pattern = serializers.CharField()
    weight = serializers.FloatField()


class RecordBehindSerializer(serializers.Serializer):
    record_id = serializers.CharField()
    score = serializers.FloatField(help_text="s(r), the record's score.")
    terms = TermSerializer(many=True)
    arithmetic = serializers.CharField()


class RelatedSerializer(serializers.Serializer):
    nominal_id = serializers.CharField()
    direct_evidence = serializers.FloatField(help_text="d(u) of the related person.")
    shared_records = serializers.ListField(child=serializers.CharField())
    associated = serializers.BooleanField(help_text="A known association links them.")


class ExplanationSerializer(serializers.Serializer):
    """Why the person has their score: the records and terms behind d, the people behind W."""

    lines = serializers.ListField(child=serializers.CharField())
    records = RecordBehindSerializer(many=True)
    related = RelatedSerializer(many=True)

    def to_representation(self, instance):
        explanation = instance or {}
        return {
            "lines": [str(line) for line in explanation.get("lines", []) or []],
            "records": [
                {
                    "record_id": str(rec.get("record_id", "")),
                    "score": float(rec.get("score") or 0.0),
                    "terms": [
                        {
                            "group": str(t.get("group", "")),
                            "pattern": str(t.get("pattern", "")),
                            "weight": float(t.get("weight") or 0.0),
                        }
                        for t in rec.get("terms", []) or []
                    ],
                    "arithmetic": str(rec.get("arithmetic", "")),
                }
                for rec in explanation.get("records", []) or []
            ],
            "related": [
                {
                    "nominal_id": str(rel.get("nominal_id", "")),
                    "direct_evidence": float(rel.get("direct_evidence") or 0.0),
                    "shared_records": [str(r) for r in rel.get("shared_records", []) or []],
                    "associated": bool(rel.get("associated")),
                }
                for rel in explanation.get("related", []) or []
            ],
        }


class SafeguardingCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    state = serializers.CharField()


class NominalResultDetailSerializer(NominalResultSerializer):
    explanation = ExplanationSerializer(read_only=True)
    safeguarding_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    case = serializers.SerializerMethodField(
        help_text="For a child or vulnerable adult, their safeguarding case if it is shared with you; else null."
    )

    class Meta(NominalResultSerializer.Meta):
        fields = [*NominalResultSerializer.Meta.fields, "safeguarding_reasons", "explanation", "case"]
        read_only_fields = fields

    @extend_schema_field(SafeguardingCaseSerializer(allow_null=True))
    def get_case(self, result: NominalResult) -> dict | None:
        case = self.context.get("case")
        if case is None:
            return None
        return {"id": case.pk, "reference": case.reference, "state": case.state}


class ExportCreateSerializer(serializers.Serializer):
    """What to export, and why."""

    run = serializers.IntegerField(min_value=1, max_value=LARGEST_ID)
    kind = serializers.CharField(max_length=16, help_text=f"One of: {', '.join(ExportKind.values)}.")
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    group = serializers.IntegerField(
        required=False, min_value=-(2**31), max_value=2**31 - 1, help_text="For kind=members: the group."
    )
    nominal = serializers.CharField(
        required=False, max_length=64, help_text="For kind=profile: the person's nominal id."
    )
    purpose = serializers.CharField(max_length=64, help_text="A purpose code from the managed list for disclosures.")
    justification = serializers.CharField(min_length=10, max_length=500)
    recipient_agency = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    recipient_person = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ExportSerializer(serializers.Serializer):
    """An export as recorded: the file is not kept, so its content is given once, on creation."""

    id = serializers.CharField(help_text="The export id printed in the file's watermark.")
    kind = serializers.CharField()
    format = serializers.CharField()
    run = serializers.IntegerField()
    group = serializers.IntegerField(allow_null=True)
    nominal = serializers.CharField(allow_null=True)
    filename = serializers.CharField()
    sha256 = serializers.CharField()
    bytes = serializers.IntegerField()
    made_at = serializers.DateTimeField()
    purpose = serializers.CharField()
    justification = serializers.CharField()
    recipients = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    ids = serializers.ListField(child=serializers.CharField(), help_text="Every record the file contained.")


class ExportCreatedSerializer(ExportSerializer):
    content_type = serializers.CharField()
    content_base64 = serializers.CharField(help_text="The file, base64-encoded.")


def export_data(event) -> dict[str, Any]:
    """An export's access event as ExportSerializer's fields."""
    detail = event.detail
    return {
        "id": detail.get("export_id", event.object_id),
        "kind": detail.get("kind", ""),
        "format": detail.get("format", ""),
        "run": detail.get("run"),
        "group": detail.get("group"),
        "nominal": detail.get("nominal"),
        "filename": detail.get("filename", ""),
        "sha256": detail.get("sha256", ""),
        "bytes": detail.get("bytes", 0),
        "made_at": event.at,
        "purpose": event.purpose,
        "justification": event.reason,
        "recipients": event.recipients or [],
        "ids": list(detail.get("ids", [])),
    }
