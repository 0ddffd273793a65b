"""The pathway API, `/api/v1/cases/`: local authorities' own case systems read it, so it is part
of the product. Each action translates the request, makes one domain call (a selector, or
`case_transition` for every step of the pathway) and translates the answer back; access, the
pathway's rules and the trail stay where they are for the pages too.

The first API, `/api/cases/`, is served by the same code (LegacyCaseViewSet) so that callers
written against it keep working while they move to v1.
"""

from __future__ import annotations

from auditlog.context import set_actor
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.access import Access

from . import services
from .models import Case, CaseRun
from .pathway import TransitionNotAllowed, case_transition
from .selectors import case_get_for_user, case_list_filtered, record_case_list
from .serializers import (
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseSerializer,
    CaseSummarySerializer,
    DetailSerializer,
    TransitionRequestSerializer,
    TransitionTargetSerializer,
    caller_is_police,
)

FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='Bad input, field by field: `{"field": ["message", ...]}` (or `{"detail": [...]}` when no one '
    "field is at fault). Nothing changed.",
)
NOT_FOUND = OpenApiResponse(
    DetailSerializer, description="No such case, or not shared with you: the same answer, with nothing of the case."
)
PURPOSE_FIRST = OpenApiResponse(
    DetailSerializer,
    description="You may read the case but no work of yours explains opening it: give the purpose on its page "
    "in the portal first (break-glass, reviewed by the auditors). Nothing of the case is in the answer.",
)
# A write can be refused for either reason: a read-only share, or no purpose given yet.
WRITE_REFUSED = OpenApiResponse(
    DetailSerializer,
    description="Your role, agency or access may not do this, or no work of yours explains opening the case "
    "(give the purpose on its page in the portal first). Nothing changed.",
)
CONFLICT = OpenApiResponse(
    DetailSerializer, description="The step cannot be taken from the case's current state (named). Nothing changed."
)


def _field_errors(error: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's 400 body: per field when the error names fields."""
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"detail": error.messages}


@extend_schema_view(
    list=extend_schema(
        summary="Cases shared with you",
        description="Newest first, paginated. Every list is recorded in the access trail with the ids it shows.",
        parameters=[CaseFilterSerializer],
        responses={200: CaseSerializer(many=True), 400: FIELD_ERRORS, 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        summary="One case, its history and where it may go next",
        responses={200: CaseDetailSerializer, 403: PURPOSE_FIRST, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change a case's summary",
        request=CaseSummarySerializer,
        responses={200: CaseDetailSerializer, 400: FIELD_ERRORS, 403: WRITE_REFUSED, 404: NOT_FOUND},
    ),
)
class CaseViewSet(viewsets.GenericViewSet):
    """Cases shared with the caller (404 for anything else, identical to "does not exist").

    Token users are authenticated by DRF after AuditlogMiddleware has run, so writes set the
    change-log actor themselves. Partners get the safeguarding fields only (serializers.py).
    """

    serializer_class = CaseDetailSerializer
    # At most 18 digits: every such id fits the database's integers, so a longer one is the
    # URL resolver's 404 instead of an overflow in the database driver (a 500).
    lookup_value_regex = r"\d{1,18}"
    http_method_names = ["get", "head", "post", "patch", "options"]

    def get_serializer_context(self):
        # The schema (drf-spectacular's mocked view) documents the police shape: every field.
        police = getattr(self, "swagger_fake_view", False) or caller_is_police(self.request.user)
        return {**super().get_serializer_context(), "police": police}

    def _detail(self, case: Case) -> Response:
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    def list(self, request, *args, **kwargs):
        filters = CaseFilterSerializer.from_query(request.query_params, police=caller_is_police(request.user))
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        query = chosen.get("q", "")
        cases = case_list_filtered(
            user=request.user,
            query=query,
            state=chosen.get("state", ""),
            local_authority=chosen.get("local_authority"),
            overdue=chosen.get("overdue"),
            run_id=chosen.get("run"),
            request=request,
        ).prefetch_related(Prefetch("run_links", queryset=CaseRun.objects.only("case_id", "run_id")))
        page = self.paginate_queryset(cases.select_related("hub")) or []
        record_case_list(
            user=request.user, query=query, shown=len(page), ids=[case.pk for case in page], request=request
        )
        return self.get_paginated_response(CaseSerializer(page, many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request, pk=None):
        return self._detail(case_get_for_user(user=request.user, case_id=int(pk), request=request))

    def partial_update(self, request, pk=None):
        case = case_get_for_user(user=request.user, case_id=int(pk), level=Access.WRITE, request=request)
        serializer = CaseSummarySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with set_actor(request.user, remote_addr=request.META.get("REMOTE_ADDR")):
            try:
                case = services.case_update(case=case, summary=serializer.validated_data.get("summary", case.summary))
            except DjangoValidationError as error:
                raise serializers.ValidationError(_field_errors(error)) from None
        return self._detail(case)

    @extend_schema(
        summary="Take a step of the pathway",
        description="Moves the case to `to` with the step's fields, exactly as the portal's pages do; the step is "
        "recorded (who, from, to, why) and the next deadline set. Any refusal changes nothing.",
        request=TransitionRequestSerializer,
        responses={200: CaseDetailSerializer, 400: FIELD_ERRORS, 403: WRITE_REFUSED, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="transitions", url_name="transitions")
    def transitions(self, request, pk=None):
        # Who may change the case at all comes before the body: a caller who may not read it
        # gets the same 404 whatever they send, and a read-only one 403 (both recorded).
        case_get_for_user(user=request.user, case_id=int(pk), level=Access.WRITE, request=request)
        body = request.data
        if not isinstance(body, dict):
            return Response(
                {"detail": ["Send a JSON object with `to` and the step's fields."]}, status.HTTP_400_BAD_REQUEST
            )
        target = TransitionTargetSerializer(data=body)
        target.is_valid(raise_exception=True)
        data = {name: value for name, value in body.items() if name != "to"}
        # case_transition records its own refusals. Django's Http404 and PermissionDenied go to
        # DRF's handler as they are (404, 403 with the message); the pathway's own are translated.
        try:
            with set_actor(request.user, remote_addr=request.META.get("REMOTE_ADDR")):
                case = case_transition(
                    actor=request.user, case_id=int(pk), to=target.validated_data["to"], data=data, request=request
                )
        except TransitionNotAllowed as error:
            return Response({"detail": str(error)}, status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            return Response(_field_errors(error), status.HTTP_400_BAD_REQUEST)
        return self._detail(case)


@extend_schema_view(
    list=extend_schema(deprecated=True),
    retrieve=extend_schema(deprecated=True),
    partial_update=extend_schema(deprecated=True),
)
class LegacyCaseViewSet(CaseViewSet):
    """`/api/cases/`, the first API: v1's list, detail and summary change, kept for callers
    written against it. New steps of the pathway are v1's only."""

    http_method_names = ["get", "head", "patch", "options"]

    transitions = None  # type: ignore[assignment]  # no pathway steps on the old paths
