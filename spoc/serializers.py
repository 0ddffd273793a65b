"""The shapes of `/api/v1/comms-requests/` and `/api/v1/deal-lines/`.

A provider SPoC gets the provider's shapes (ProviderRequest*): what a company needs to find and
return the data (the identifier, the data sought, the dates, the authorisation reference), never
the case, the person, the deal line, the investigation or the applicant's statements. Codes, not
labels, for kinds, categories and states.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import CommsRequest, CommsRequestTransition, DealLine, ProviderResponse, RequestState
from .transitions import allowed_steps

LIST_FIELDS = [
    "id",
    "reference",
    "kind",
    "category",
    "urgency",
    "provider",
    "state",
    "submitted_at",
    "sent_at",
    "acknowledged_at",
    "fulfilled_at",
    "due_step",
    "due_at",
    "overdue",
]


class CommsRequestListSerializer(serializers.ModelSerializer):
    """One request in a list; the same fields for the police and the provider."""

    provider = serializers.CharField(source="provider.name", read_only=True, help_text="The provider agency's name.")
    overdue = serializers.BooleanField(read_only=True, help_text="The provider's next step is past its due time.")
    due_step = serializers.SerializerMethodField(help_text='"acknowledge", "fulfil", or null when nothing is due.')

    class Meta:
        model = CommsRequest
        fields = LIST_FIELDS
        read_only_fields = LIST_FIELDS

    def get_due_step(self, req: CommsRequest) -> str | None:
        return req.due_step or None


class ResponseFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProviderResponse
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at"]
        read_only_fields = fields


class CommsTransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommsRequestTransition
        fields = ["from_state", "to_state", "actor_label", "at", "reason"]
        read_only_fields = fields


class CommsRequestDetailSerializer(CommsRequestListSerializer):
    """The police view of a request: the application, its review, authorisation and history."""

    transitions = CommsTransitionSerializer(many=True, read_only=True)
    responses = ResponseFileSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(help_text="The states you may move it to now.")
    applicant = serializers.CharField(source="applicant.username", read_only=True)
    case = serializers.IntegerField(
        source="case_id", read_only=True, allow_null=True, help_text="The linked safeguarding case's id."
    )
    nominal = serializers.CharField(
        source="nominal_id", read_only=True, allow_null=True, help_text="The linked person's police id."
    )
    deal_line = serializers.IntegerField(
        source="deal_line_id", read_only=True, allow_null=True, help_text="The linked deal line's id."
    )

    class Meta(CommsRequestListSerializer.Meta):
        fields = [
            *LIST_FIELDS,
            "investigation",
            "case",
            "nominal",
            "deal_line",
            "identifier",
            "data_sought",
            "date_from",
            "date_to",
            "statutory_purpose",
            "necessity",
            "proportionality",
            "collateral_intrusion",
            "serious_crime_threshold",
            "sensitive_profession",
            "preservation_expires_on",
            "applicant",
            "feasibility_note",
            "returned_reason",
            "authorisation_route",
            "authorisation_reference",
            "authorisation_reasons",
            "authorisation_date",
            "urgent_lapses_at",
            "urgent_confirmed_at",
            "clarification_question",
            "clarification_answer",
            "decline_reason",
            "acknowledge_due_at",
            "fulfil_due_at",
            "transitions",
            "responses",
            "allowed_transitions",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, req: CommsRequest) -> list[str]:
        request = self.context.get("request")
        return allowed_steps(request.user, req) if request is not None else []


class ProviderRequestSerializer(CommsRequestListSerializer):
    """What a provider's SPoC reads: enough to find and return the data, nothing of the case."""

    responses = ResponseFileSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(help_text="The states you may move it to now.")

    class Meta(CommsRequestListSerializer.Meta):
        fields = [
            *LIST_FIELDS,
            "identifier",
            "data_sought",
            "date_from",
            "date_to",
            "preservation_expires_on",
            "authorisation_reference",
            "authorisation_date",
            "clarification_question",
            "clarification_answer",
            "decline_reason",
            "acknowledge_due_at",
            "fulfil_due_at",
            "responses",
            "allowed_transitions",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, req: CommsRequest) -> list[str]:
        request = self.context.get("request")
        return allowed_steps(request.user, req) if request is not None else []


class CommsTransitionRequestSerializer(serializers.Serializer):
    """For the schema: `to` and the step's fields (the lifecycle checks each step's own)."""

    to = serializers.ChoiceField(choices=RequestState.choices, help_text="The state to move the request to.")
    reason = serializers.CharField(required=False, help_text="Returned, declined, withdrawn, expired, closed: why.")
    feasibility_note = serializers.CharField(required=False, help_text="Accepting for authorisation: the SPoC's note.")
    authorisation_reference = serializers.CharField(required=False, help_text="The OCDA's decision reference.")
    reasons = serializers.CharField(required=False, help_text="The authorisation's (or refusal's) reasons.")
    decided_on = serializers.DateField(required=False, help_text="The date of the OCDA's decision.")
    question = serializers.CharField(required=False, help_text="The provider's question (clarification).")
    answer = serializers.CharField(required=False, help_text="The SPoC's answer, sending the request again.")


class CommsDetailSerializer(serializers.Serializer):
    """A refusal: what was refused, never what the record holds."""

    detail = serializers.CharField()


class DealLineSerializer(serializers.ModelSerializer):
    people = serializers.SerializerMethodField(help_text="Linked people's police ids.")
    cases = serializers.SerializerMethodField(help_text="Linked safeguarding cases' ids.")
    requests = serializers.SerializerMethodField(help_text="Ids of the communications-data requests about the line.")

    class Meta:
        model = DealLine
        fields = [
            "id",
            "number",
            "line_name",
            "origin_force",
            "areas_supplied",
            "status",
            "identified_on",
            "disrupted_on",
            "closed_on",
            "children_exploited",
            "firearms",
            "missing_episodes",
            "looked_after_children",
            "runners",
            "youngest_runner_age",
            "violence",
            "known_ocg",
            "risk_score",
            "people",
            "cases",
            "requests",
        ]
        read_only_fields = fields

    def get_people(self, line: DealLine) -> list[str]:
        return [person.pk for person in line.people.all()]

    def get_cases(self, line: DealLine) -> list[int]:
        return [case.pk for case in line.cases.all()]

    def get_requests(self, line: DealLine) -> list[int]:
        visible: Any = self.context.get("visible_requests")
        ids = list(line.requests.values_list("pk", flat=True))
        return [pk for pk in ids if visible is None or pk in visible]
