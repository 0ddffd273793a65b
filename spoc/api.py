"""The SPoC liaison API under /api/v1/: `comms-requests` (list, retrieve, transitions) and
`deal-lines` (list, retrieve). The same access rules and trail as the pages: a request outside
the caller's scope (another company's, someone else's application) is a 404 for reads and for
actions, recorded as a refusal; a provider SPoC gets the provider's shapes."""

from __future__ import annotations

from auditlog.context import set_actor
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .selectors import (
    DEAL_LINE_TYPE,
    deal_line_get_for_user,
    deal_lines_for_user,
    is_provider,
    record_request_list,
    request_get_for_user,
    requests_for_user,
    require_police_area,
    require_request_area,
)
from .serializers import (
    CommsDetailSerializer,
    CommsRequestDetailSerializer,
    CommsRequestListSerializer,
    CommsTransitionRequestSerializer,
    DealLineSerializer,
    ProviderRequestSerializer,
)
from .transitions import TransitionNotAllowed, request_transition

FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description='Bad input, field by field: `{"field": ["message"]}`. Nothing changed.'
)
NOT_FOUND = OpenApiResponse(
    CommsDetailSerializer, description="No such request, or not yours to see: the same answer, with nothing of it."
)
FORBIDDEN = OpenApiResponse(CommsDetailSerializer, description="You can see it but your role may not take this step.")
CONFLICT = OpenApiResponse(
    CommsDetailSerializer, description="The step cannot be taken from the request's current state (named). Nothing changed."
)


def _field_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"detail": error.messages}


@extend_schema_view(
    list=extend_schema(
        summary="Communications-data requests you may see",
        description="Newest first, paginated; a provider SPoC sees only its company's requests once sent. "
        "Every list is recorded with the ids it shows.",
        responses={200: CommsRequestListSerializer(many=True), 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        summary="One request (the provider's shape for a provider SPoC)",
        responses={200: CommsRequestDetailSerializer, 404: NOT_FOUND},
    ),
)
class CommsRequestViewSet(viewsets.GenericViewSet):
    serializer_class = CommsRequestDetailSerializer
    lookup_value_regex = r"\d{1,18}"
    http_method_names = ["get", "head", "post", "options"]

    def _detail_serializer(self, req):
        cls = ProviderRequestSerializer if is_provider(self.request.user) else CommsRequestDetailSerializer
        return cls(req, context=self.get_serializer_context())

    def list(self, request, *args, **kwargs):
        require_request_area(user=request.user, request=request)
        page = self.paginate_queryset(requests_for_user(request.user).order_by("-created_at", "-pk")) or []
        record_request_list(user=request.user, shown=list(page), request=request)
        return self.get_paginated_response(
            CommsRequestListSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    def retrieve(self, request, pk=None):
        req = request_get_for_user(user=request.user, request_id=pk, request=request)
        return Response(self._detail_serializer(req).data)

    @extend_schema(
        summary="Take a step of the request's lifecycle",
        description="Moves the request to `to` with the step's fields, exactly as the pages do; recorded.",
        request=CommsTransitionRequestSerializer,
        responses={
            200: CommsRequestDetailSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="transitions", url_name="transitions")
    def transitions(self, request, pk=None):
        # Scope before the body: someone who may not see the request gets the same 404 whatever they send.
        request_get_for_user(user=request.user, request_id=pk, request=request, record=False)
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("to"), str):
            return Response(
                {"detail": ["Send a JSON object with `to` (a state code) and the step's fields."]},
                status.HTTP_400_BAD_REQUEST,
            )
        data = {name: value for name, value in body.items() if name != "to"}
        try:
            with set_actor(request.user, remote_addr=request.META.get("REMOTE_ADDR")):
                req = request_transition(
                    actor=request.user, request_id=int(pk), to=body["to"], data=data, request=request
                )
        except TransitionNotAllowed as error:
            return Response({"detail": str(error)}, status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            return Response(_field_errors(error), status.HTTP_400_BAD_REQUEST)
        return Response(self._detail_serializer(req).data)


@extend_schema_view(
    list=extend_schema(
        summary="The deal-line register, by risk",
        responses={200: DealLineSerializer(many=True), 404: NOT_FOUND},
    ),
    retrieve=extend_schema(summary="One deal line", responses={200: DealLineSerializer, 404: NOT_FOUND}),
)
class DealLineViewSet(viewsets.GenericViewSet):
    serializer_class = DealLineSerializer
    lookup_value_regex = r"\d{1,18}"
    http_method_names = ["get", "head", "options"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        return {**context, "visible_requests": set(requests_for_user(self.request.user).values_list("pk", flat=True))}

    def list(self, request, *args, **kwargs):
        require_police_area(user=request.user, request=request, object_type=DEAL_LINE_TYPE)
        lines = deal_lines_for_user(request.user).prefetch_related("people", "cases").order_by("-risk_score", "pk")
        page = self.paginate_queryset(lines) or []
        record_access(
            action=AccessAction.LIST,
            request=request,
            object_type=DEAL_LINE_TYPE,
            result_count=len(page),
            shown=list(page),
        )
        return self.get_paginated_response(
            DealLineSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    def retrieve(self, request, pk=None):
        line = deal_line_get_for_user(user=request.user, line_id=pk, request=request)
        return Response(DealLineSerializer(line, context=self.get_serializer_context()).data)


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("comms-requests", CommsRequestViewSet, basename="comms-request")
    router.register("deal-lines", DealLineViewSet, basename="deal-line")
