from __future__ import annotations

from auditlog.context import set_actor
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from portal.access import Access

from . import services
from .models import Case
from .selectors import case_get_for_user, case_list_for_user, record_case_list


class CaseSerializer(serializers.ModelSerializer):
    local_authority = serializers.StringRelatedField()

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "kind",
            "forenames",
            "surname",
            "date_of_birth",
            "local_authority",
            "summary",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f != "summary"]


class CaseViewSet(viewsets.GenericViewSet):
    """Cases shared with the caller. Token users are authenticated by DRF after
    AuditlogMiddleware has run, so writes set the change-log actor themselves."""

    serializer_class = CaseSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return case_list_for_user(
            user=self.request.user, query=self.request.query_params.get("q", ""), request=self.request
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        record_case_list(user=request.user, query=request.query_params.get("q", ""), shown=len(page), request=request)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        case = case_get_for_user(user=request.user, case_id=int(pk), request=request)
        return Response(self.get_serializer(case).data)

    def partial_update(self, request, pk=None):
        case = case_get_for_user(user=request.user, case_id=int(pk), level=Access.WRITE, request=request)
        serializer = self.get_serializer(case, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with set_actor(request.user, remote_addr=request.META.get("REMOTE_ADDR")):
            case = services.case_update(case=case, summary=serializer.validated_data.get("summary", case.summary))
        return Response(self.get_serializer(case).data)
