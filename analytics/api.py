from __future__ import annotations

from rest_framework import serializers, viewsets
from rest_framework.response import Response

from .models import Nominal
from .selectors import nominal_get_for_user, nominal_list_for_user


class NominalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Nominal
        fields = ["nominal_id", "surname", "forenames", "date_of_birth", "gender", "local_authority", "flags"]


class NominalViewSet(viewsets.GenericViewSet):
    """Police intelligence: analysts and intelligence supervisors only (404 for anyone else)."""

    serializer_class = NominalSerializer
    lookup_value_regex = r"[^/]+"
    pagination_class = None  # the list says its own total: the first 100 matches of `q`

    def list(self, request):
        nominals, total = nominal_list_for_user(
            user=request.user, query=request.query_params.get("q", ""), request=request
        )
        return Response({"count": total, "results": NominalSerializer(nominals, many=True).data})

    def retrieve(self, request, pk=None):
        nominal = nominal_get_for_user(user=request.user, nominal_id=pk, request=request)
        return Response(NominalSerializer(nominal).data)
