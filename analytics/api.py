from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from safeguarding.serializers import DetailSerializer  # the refusal shape of every API

from .models import Nominal
from .selectors import nominal_get_for_user, nominal_list_for_user


class NominalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Nominal
        fields = ["nominal_id", "surname", "forenames", "date_of_birth", "gender", "local_authority", "flags"]


class _SearchSchema(AutoSchema):
    """The list answers one object (a total and the matches), not a bare array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class NominalViewSet(viewsets.GenericViewSet):
    """Police intelligence: analysts and intelligence supervisors only (404 for anyone else)."""

    serializer_class = NominalSerializer
    lookup_value_regex = r"[^/]+"
    pagination_class = None  # the list says its own total: the first 100 matches of `q`
    schema = _SearchSchema()

    @extend_schema(
        operation_id="nominals_list",
        summary="Search the nominals by name or id",
        description="The first 100 matches of `q`, with the total number of matches. Recorded with the ids shown.",
        parameters=[OpenApiParameter("q", str, description="Part of a name or of a nominal id.")],
        responses=inline_serializer(
            "NominalSearch",
            {
                "count": serializers.IntegerField(help_text="How many nominals match, of which at most 100 are listed."),
                "results": NominalSerializer(many=True),
            },
        ),
    )
    def list(self, request):
        nominals, total = nominal_list_for_user(
            user=request.user, query=request.query_params.get("q", ""), request=request
        )
        return Response({"count": total, "results": NominalSerializer(nominals, many=True).data})

    @extend_schema(
        summary="One nominal",
        responses={
            200: NominalSerializer,
            403: OpenApiResponse(
                DetailSerializer,
                description="No work of yours explains opening this nominal: give the purpose on its page in the "
                "portal first (break-glass, reviewed by the auditors).",
            ),
            404: OpenApiResponse(DetailSerializer, description="No such nominal, or not yours to see: the same answer."),
        },
    )
    def retrieve(self, request, pk=None):
        nominal = nominal_get_for_user(user=request.user, nominal_id=pk, request=request)
        return Response(NominalSerializer(nominal).data)
