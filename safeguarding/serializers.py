"""The shapes of the pathway API (`/api/v1/cases/`): what a case looks like to a caller, the
filters a list accepts, and the body of a transition.

Local authorities' own case systems read these, so the shapes are a contract: codes, not
labels, for states and kinds; null, not "", for what is not known yet. A partner (anyone whose
agency is not a police force) gets the safeguarding fields only: the police-only fields below
are left out of their answer altogether, a step the portal made names no run, and the reasons
the police wrote for their steps are withheld (the concern is the police text partners read).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.accounts.models import Agency, AgencyKind
from portal.text import clean_query

from .models import SUMMARY_MAX_LENGTH, Case, CaseState, CaseTransition, RiskLevel, StrategyOutcome
from .pathway import allowed_targets, kind_label
from .screening import INDICATORS

# Left out of a partner's answer: which analysis runs found the person, how the police
# recorded their authority, the hub and its triage queue are police working, not safeguarding.
POLICE_ONLY_FIELDS = ("runs", "hub", "needs_triage", "recorded_local_authority")
# What a partner reads for a step the portal made itself (the police's label names the run);
# the same words as the case page's chronology.
SYSTEM_LABEL_FOR_PARTNERS = "West Midlands safeguarding portal"
# The largest id the database holds (a signed 64-bit integer): a larger one is a 400, not an
# overflow in the database driver (a 500).
LARGEST_ID = 2**63 - 1
FILTER_PARAMETERS = ("q", "state", "local_authority", "overdue", "run")
# Accepted on a list beside the filters: the paginator's, and DRF's format override.
LIST_PARAMETERS = frozenset({*FILTER_PARAMETERS, "page", "format"})


def caller_is_police(user) -> bool:
    """True for a member of a police force; everyone else is a partner."""
    agency = getattr(user, "agency", None)
    return agency is not None and agency.kind == AgencyKind.POLICE_FORCE


def _blank_is_null(value: str) -> str | None:
    return value or None


class CaseSerializer(serializers.ModelSerializer):
    """A safeguarding case. `runs`, `hub`, `needs_triage` and `recorded_local_authority` are
    given to police callers only."""

    # An answer to a request is a partner's unless the context says `police`: forgetting to
    # say so withholds, never leaks.

    kind_label = serializers.SerializerMethodField(
        help_text='What the portal calls the kind: "Child at risk of exploitation" or "Vulnerable adult".'
    )
    local_authority = serializers.SerializerMethodField(help_text="The local authority's name; null while in triage.")
    risk_level = serializers.SerializerMethodField(help_text="high, medium or low; null until screened.")
    next_due_step = serializers.SerializerMethodField(help_text="What is due next; null when nothing is.")
    overdue = serializers.BooleanField(read_only=True, help_text="The next step is past its due time.")
    runs = serializers.SerializerMethodField(
        help_text="Police callers only: ids of the analysis runs that identified the person."
    )
    hub = serializers.SerializerMethodField(help_text="Police callers only: the SOCEx hub's code.")
    needs_triage = serializers.BooleanField(
        read_only=True, help_text="Police callers only: waiting for a local authority."
    )
    recorded_local_authority = serializers.CharField(
        read_only=True, help_text="Police callers only: the authority as police records gave it."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "kind",
            "kind_label",
            "nominal_id",
            "forenames",
            "surname",
            "date_of_birth",
            "local_authority",
            "state",
            "risk_level",
            "next_due_at",
            "next_due_step",
            "overdue",
            "concern",
            "summary",
            "created_at",
            "updated_at",
            *POLICE_ONLY_FIELDS,
        ]
        read_only_fields = [field for field in fields if field != "summary"]
        extra_kwargs = {
            "nominal_id": {"help_text": "The person's opaque police id, or null for a case opened by hand."}
        }

    def get_fields(self):
        fields = super().get_fields()
        # The schema is generated without a request: it documents every field (the police
        # shape); a real answer to a partner drops the police-only ones.
        if "request" in self.context and not self.context.get("police"):
            for name in POLICE_ONLY_FIELDS:
                fields.pop(name, None)
        return fields

    def get_kind_label(self, case: Case) -> str:
        return kind_label(case)

    def get_local_authority(self, case: Case) -> str | None:
        return case.local_authority.name if case.local_authority is not None else None

    def get_risk_level(self, case: Case) -> str | None:
        return _blank_is_null(case.risk_level)

    def get_next_due_step(self, case: Case) -> str | None:
        return _blank_is_null(case.next_due_step)

    def get_runs(self, case: Case) -> list[int]:
        # run_links is prefetched by the viewset: .all() keeps to the prefetched rows.
        return [link.run_id for link in case.run_links.all()]

    def get_hub(self, case: Case) -> str | None:
        return case.hub.code if case.hub is not None else None


class CaseSchema(OpenApiSerializerExtension):
    """The police-only fields are documented but not required: a partner's answer has none of
    them, and a client checking answers against the schema must accept it."""

    target_class = CaseSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in POLICE_ONLY_FIELDS]
        return schema


class TransitionSerializer(serializers.ModelSerializer):
    """One step of the case's history. For partners, a step the portal made is labelled as the
    portal's and the reasons the police wrote are withheld."""

    from_state = serializers.SerializerMethodField(
        method_name="get_from_state", help_text="The state before; null for the case's opening."
    )
    to = serializers.CharField(source="to_state", read_only=True)
    actor = serializers.SerializerMethodField(help_text="The person's username, or what made the step (the portal).")
    reason = serializers.SerializerMethodField(
        help_text="Why, in the actor's words; null when none was given and, for partners, when the police or "
        "the portal took the step."
    )

    class Meta:
        model = CaseTransition
        fields = ["from_state", "to", "actor", "at", "reason"]

    def get_fields(self):
        # "from" is a Python keyword, so the field is declared under another name.
        fields = super().get_fields()
        return {"from" if name == "from_state" else name: field for name, field in fields.items()}

    def _police(self) -> bool:
        return bool(self.context.get("police"))

    def get_from_state(self, transition: CaseTransition) -> str | None:
        return _blank_is_null(transition.from_state)

    def get_actor(self, transition: CaseTransition) -> str:
        if transition.actor is not None:
            return transition.actor.get_username()
        # The portal's own steps are labelled with what made them ("analysis run 12").
        return transition.actor_label if self._police() else SYSTEM_LABEL_FOR_PARTNERS

    def get_reason(self, transition: CaseTransition) -> str | None:
        # The concern (a field of its own) is the only police text a partner reads: a reason
        # written by police staff or by the portal (why a case was closed at the police
        # review, what intelligence re-opened it) stays with the police.
        if not self._police() and (transition.actor_id is None or caller_is_police(transition.actor)):
            return None
        return _blank_is_null(transition.reason)


class CaseDetailSerializer(CaseSerializer):
    """A case with its history and the states it may move to from where it is (whoever asks:
    the caller's own role may still be refused the step)."""

    transitions = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField(
        help_text="The states the case may move to from its current state."
    )

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "transitions", "allowed_transitions"]
        read_only_fields = [field for field in fields if field != "summary"]

    # drf-spectacular reads a method field's type from its annotation; nested objects need saying.
    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, case: Case) -> list[dict[str, Any]]:
        rows = case.transitions.select_related("actor__agency").order_by("at", "id")
        return list(TransitionSerializer(rows, many=True, context=self.context).data)

    def get_allowed_transitions(self, case: Case) -> list[str]:
        return allowed_targets(case)


class CaseSummarySerializer(serializers.Serializer):
    """The one field a caller changes directly; every other change is a pathway step."""

    summary = serializers.CharField(max_length=SUMMARY_MAX_LENGTH, allow_blank=True)


class CaseFilterSerializer(serializers.Serializer):
    """The filters of a case list, each value cleaned like any query (portal.text.clean_query)
    before it is checked. A bad value is a 400 naming the filter, never silently ignored: a case
    system that mistypes a filter must not take the whole list for the filtered one."""

    q = serializers.CharField(required=False, allow_blank=True, help_text="A reference (exact), or part of a name.")
    state = serializers.ChoiceField(choices=CaseState.choices, required=False, help_text="Cases at this state.")
    local_authority = serializers.CharField(
        required=False, help_text="A local authority's agency code, e.g. birmingham."
    )
    overdue = serializers.ChoiceField(
        choices=[("true", "true"), ("false", "false")],
        required=False,
        help_text="true: the next step is late; false: it is not (or nothing is due).",
    )
    run = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=LARGEST_ID,
        help_text="Police callers only: the cases this analysis run identified.",
    )

    def __init__(self, *args, police: bool = False, **kwargs):
        self.police = police
        super().__init__(*args, **kwargs)

    @classmethod
    def from_query(cls, params, *, police: bool) -> CaseFilterSerializer:
        """Unknown parameters and repeated ones are errors too (`stat=` for `state=` would
        otherwise give every case)."""
        errors: dict[str, list[str]] = {}
        for name in sorted(set(params) - LIST_PARAMETERS):
            errors[clean_query(name) or "?"] = [f"Unknown filter; use {', '.join(FILTER_PARAMETERS)}."]
        for name in FILTER_PARAMETERS:
            if len(params.getlist(name)) > 1:
                errors[name] = ["Give this filter once."]
        if errors:
            raise serializers.ValidationError(errors)
        data = {name: clean_query(params[name]) for name in FILTER_PARAMETERS if name in params}
        return cls(data=data, police=police)

    def validate_local_authority(self, code: str) -> Agency:
        authority = Agency.objects.filter(code=code, kind=AgencyKind.LOCAL_AUTHORITY).first()
        if authority is None:
            codes = (
                Agency.objects.filter(kind=AgencyKind.LOCAL_AUTHORITY).order_by("code").values_list("code", flat=True)
            )
            raise serializers.ValidationError(f"Unknown local authority {code!r}; one of {', '.join(codes)}.")
        return authority

    def validate_overdue(self, value: str) -> bool:
        return value == "true"

    def validate_run(self, value: int) -> int:
        if not self.police:
            raise serializers.ValidationError("Filtering by analysis run is for police users.")
        return value


class TacticSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="A disruption tactic's code.")
    owner_agency = serializers.CharField(help_text="The agency code of the tactic's owner.")
    review_on = serializers.DateField()
    notes = serializers.CharField(required=False, max_length=1000)


class TransitionRequestSerializer(serializers.Serializer):
    """`to` and the fields of the step being taken (each field says which steps use it)."""

    # For the schema only: the view checks `to` (TransitionTargetSerializer) and passes the rest
    # to the pathway unchanged, which checks each step's fields, so that the API and the pages
    # give the same answers (a DRF BooleanField would take "yes" where the pathway refuses it).

    # A plain string here: one enum of states (StateEnum, the case's `state`) in the schema.
    to = serializers.CharField(help_text="The state to move the case to: one of " + ", ".join(CaseState.values) + ".")
    reason = serializers.CharField(
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        help_text="Why: required to close at the police review, for no further action, at a monitoring review, to re-open, "
        "and when a contextual meeting departs from the rating.",
    )
    concern = serializers.CharField(
        required=False, help_text="Police review → referred: the concern partners will read."
    )
    local_authority = serializers.CharField(
        required=False, help_text="Police review of a case in triage: the receiving authority's code."
    )
    consent_override_reason = serializers.CharField(
        required=False, help_text="Police review of a vulnerable adult without consent."
    )
    answers = serializers.DictField(
        child=serializers.BooleanField(),
        required=False,
        help_text="Screening: every indicator answered true or false: " + ", ".join(i.code for i in INDICATORS) + ".",
    )
    risk_level = serializers.ChoiceField(
        choices=RiskLevel.choices, required=False, help_text="Screening: the chosen level (default: the suggested one)."
    )
    override_reason = serializers.CharField(
        required=False, help_text="Screening: why the level differs from the suggestion."
    )
    held_on = serializers.DateField(required=False, help_text="Meetings: the date it was held.")
    attendees = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Meetings: agency codes of those present."
    )
    attendee_names = serializers.CharField(required=False, max_length=1000)
    minutes = serializers.CharField(required=False, help_text="Meetings (required for a strategy discussion).")
    outcome = serializers.ChoiceField(
        choices=StrategyOutcome.choices, required=False, help_text="Strategy discussion: its outcome."
    )
    tactics = TacticSerializer(many=True, required=False, help_text="Disruption panel: at least one tactic.")


class TransitionTargetSerializer(serializers.Serializer):
    """What the API itself checks of a transition body before asking the pathway: that it
    names a state to go to."""

    to = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    """A refusal: what was refused, never what the record holds."""

    detail = serializers.CharField()
