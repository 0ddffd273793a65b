"""The analyst's API under `/api/v1/`: analysis runs, a run's groups, the people in a run with
the explanation of their score, and exports.

The same rules as the pages: police intelligence roles only (404 for everyone else, identical
to "does not exist"), the same fetch helpers (run_selectors.py: a person's profile opened with no
workflow relationship asks for a purpose on its page first, a 403 here), the same trail (every
list records the ids it shows, every export its file's SHA-256 and the ids it contained).
"""

from __future__ import annotations

import base64
from typing import cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.access import objects_for_user, require_role
from portal.accounts.roles import POLICE_DATA_ROLES
from portal.audit.models import AccessAction, AccessEvent
from portal.audit.services import record_access
from portal.keyset import KeysetPagination
from safeguarding.serializers import DetailSerializer  # the cases API's refusal shape

from .exports import (
    GROUP,
    ExportNotPossible,
    export_allowed_or_refuse,
    export_create,
    export_get_for_user,
    export_request_clean,
)
from .models import AnalysisRun, GroupResult, Nominal, NominalResult
from .run_selectors import nominal_result_get_for_user, run_get_for_user
from .serializers import (
    ORDERINGS_GROUPS,
    ORDERINGS_NOMINALS,
    ExplanationSerializer,
    ExportCreatedSerializer,
    ExportCreateSerializer,
    ExportSerializer,
    GroupDetailSerializer,
    GroupFilterSerializer,
    GroupSerializer,
    NominalFilterSerializer,
    NominalResultDetailSerializer,
    NominalResultSerializer,
    RunDetailSerializer,
    RunSerializer,
    export_data,
)

RUN = "analytics.analysisrun"
PERSON_FIELDS = ("nominal_id", "forenames", "surname", "date_of_birth")
NOMINAL_IN_RUN = "analytics.nominalresult"

FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='Bad input, field by field: `{"field": ["message", ...]}`. Nothing changed.',
)
NOT_FOUND = OpenApiResponse(
    DetailSerializer,
    description="No such record, or not yours to see (only analysts and intelligence supervisors see runs): "
    "the same answer, with nothing of the record. An unknown `page` is also a 404.",
)
FORBIDDEN = OpenApiResponse(
    DetailSerializer,
    description="You may read the run but not this: your role may not export, or your work does not explain "
    "opening this person's profile (give the purpose on the profile's page in the portal first).",
)
CONFLICT = OpenApiResponse(DetailSerializer, description="The run has no results yet (or failed). Nothing changed.")
UNAUTHENTICATED = OpenApiResponse(DetailSerializer, description="No valid session or token.")
# The path parameters as the routes accept them (anything else is the URL resolver's 404).
LARGEST_PATH_ID = 10**18 - 1  # \d{1,18}
RUN_ID = OpenApiParameter(
    "run_id",
    {"type": "integer", "minimum": 0, "maximum": LARGEST_PATH_ID},
    OpenApiParameter.PATH,
    description="The analysis run's id.",
)
GROUP_ID = OpenApiParameter(
    "group",
    {"type": "integer", "minimum": -(10**9 - 1), "maximum": 10**9 - 1},
    OpenApiParameter.PATH,
    description="The group's number.",
)
NOMINAL_ID = OpenApiParameter(
    "nominal_id",
    {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^/]+$"},
    OpenApiParameter.PATH,
    description="The person's nominal id.",
)
EXPORT_ID = OpenApiParameter(
    "id",
    {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^/]+$"},
    OpenApiParameter.PATH,
    description="The export's id (a uuid, as printed in its watermark).",
)
RUN_PK = OpenApiParameter(
    "id",
    {"type": "integer", "minimum": 0, "maximum": LARGEST_PATH_ID},
    OpenApiParameter.PATH,
    description="The run's id.",
)


def _validated(serializer_class, query_params) -> dict:
    filters = serializer_class(
        data={name: query_params.get(name) for name in serializer_class().fields if name in query_params}
    )
    filters.is_valid(raise_exception=True)
    return filters.validated_data


def _finished_run(*, user, run_id: str, request) -> AnalysisRun:
    """The run (404, recorded, for anyone else), not recorded itself: the list or record
    fetched from it is."""
    return run_get_for_user(user=user, run_id=int(run_id), request=request, record=False)


@extend_schema_view(
    list=extend_schema(
        summary="Analysis runs",
        description="Newest first, paginated. Recorded with the ids shown.",
        responses={200: RunSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        summary="One run: parameters, counts at each stage, data quality, timings",
        parameters=[RUN_PK],
        responses={200: RunDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
)
class RunViewSet(viewsets.GenericViewSet):
    serializer_class = RunSerializer
    lookup_value_regex = r"\d{1,18}"
    http_method_names = ["get", "head", "options"]

    def list(self, request):
        require_role(user=request.user, roles=POLICE_DATA_ROLES, request=request, object_type=RUN)
        runs = AnalysisRun.objects.select_related("requested_by", "term_version").defer(
            "document", "dismantling", "data_quality", "stage_timings", "data_counts", "error"
        )
        page = self.paginate_queryset(runs) or []
        record_access(action=AccessAction.LIST, request=request, object_type=RUN, result_count=len(page), shown=page)
        return self.get_paginated_response(RunSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        run = run_get_for_user(user=request.user, run_id=int(pk), request=request)
        counts = {
            "groups": run.group_results.count(),
            "kept": run.nominal_results.count(),
            "children": run.nominal_results.filter(is_child=True).count(),
        }
        return Response(RunDetailSerializer(run, context={"counts": counts}).data)


@extend_schema_view(
    list=extend_schema(
        summary="The groups of a run",
        description="By priority unless `ordering` says otherwise; filtered and paginated. Recorded with the "
        "groups shown.",
        parameters=[RUN_ID, GroupFilterSerializer],
        responses={200: GroupSerializer(many=True), 400: FIELD_ERRORS, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        summary="One group of a run, with its members' ids",
        parameters=[RUN_ID, GROUP_ID],
        responses={200: GroupDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
)
class RunGroupViewSet(viewsets.GenericViewSet):
    serializer_class = GroupSerializer
    lookup_field = "group"
    lookup_value_regex = r"-?\d{1,9}"
    http_method_names = ["get", "head", "options"]

    def list(self, request, run_id=None):
        run = _finished_run(user=request.user, run_id=run_id, request=request)
        chosen = _validated(GroupFilterSerializer, request.query_params)
        groups: QuerySet[GroupResult] = GroupResult.objects.filter(run=run).defer("members")
        if chosen.get("children") is not None:
            groups = groups.filter(children_present__gt=0) if chosen["children"] else groups.filter(children_present=0)
        if chosen.get("soc") is not None:
            groups = groups.exclude(soc_group_id="") if chosen["soc"] else groups.filter(soc_group_id="")
        if "min_size" in chosen:
            groups = groups.filter(size__gte=chosen["min_size"])
        if "min_harm_cchi" in chosen:
            groups = groups.filter(harm_cchi__gte=chosen["min_harm_cchi"])
        if "min_harm_ons" in chosen:
            groups = groups.filter(harm_ons__gte=chosen["min_harm_ons"])
        if "max_priority" in chosen:
            groups = groups.filter(priority_rank__lte=chosen["max_priority"])
        groups = groups.order_by(*ORDERINGS_GROUPS[chosen.get("ordering") or "priority"])
        page = self.paginate_queryset(groups) or []
        record_access(
            action=AccessAction.LIST,
            request=request,
            object_type=GROUP,
            result_count=len(page),
            shown=[(GROUP, f"{run.pk}/{g.group}") for g in page],
            detail={"run": run.pk},
        )
        return self.get_paginated_response(GroupSerializer(page, many=True).data)

    def retrieve(self, request, run_id=None, group=None):
        run = _finished_run(user=request.user, run_id=run_id, request=request)
        key = f"{run.pk}/{group}"
        found = GroupResult.objects.filter(run=run, group=int(group)).first()
        if found is None:
            record_access(
                action=AccessAction.REFUSED, request=request, object_type=GROUP, object_id=key, reason="not found"
            )
            raise Http404
        record_access(
            action=AccessAction.VIEW,
            request=request,
            object_type=GROUP,
            object_id=key,
            shown=[("analytics.nominal", str(member)) for member in found.members],
        )
        return Response(GroupDetailSerializer(found).data)


@extend_schema_view(
    list=extend_schema(
        summary="The people in a run",
        description="By W unless `ordering` says otherwise; filter by group or by people to protect. Recorded "
        "with the people shown.",
        parameters=[RUN_ID, NominalFilterSerializer],
        responses={200: NominalResultSerializer(many=True), 400: FIELD_ERRORS, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        summary="A person's profile in a run, with the explanation of their score",
        description="The records and terms behind d, the related people behind W, harm, centrality, dismantling "
        "rank and, for a child or vulnerable adult, their safeguarding case if it is shared with you.",
        parameters=[RUN_ID, NOMINAL_ID],
        responses={200: NominalResultDetailSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class RunNominalViewSet(viewsets.GenericViewSet):
    serializer_class = NominalResultSerializer
    pagination_class = KeysetPagination  # 100,000 people in a large run: pages by cursor, not OFFSET
    lookup_field = "nominal_id"
    lookup_value_regex = r"[^/]{1,64}"
    http_method_names = ["get", "head", "options"]

    def list(self, request, run_id=None):
        run = _finished_run(user=request.user, run_id=run_id, request=request)
        chosen = _validated(NominalFilterSerializer, request.query_params)
        # The page is chosen from the results alone (a top-N sort of one narrow table), then its
        # people's names are fetched: sorting the join of 100,000 rows was three times slower.
        results = (
            NominalResult.objects.filter(run=run)
            .defer("explanation", "safeguarding_reasons")
            .prefetch_related(Prefetch("nominal", queryset=Nominal.objects.only(*PERSON_FIELDS)))
        )
        if "group" in chosen:
            results = results.filter(group=chosen["group"])
        if chosen.get("protect") is not None:
            to_protect = Q(is_child=True) | Q(is_vulnerable_adult=True)
            results = results.filter(to_protect) if chosen["protect"] else results.exclude(to_protect)
        ordering = chosen.get("ordering") or "-score"
        paginator = cast(KeysetPagination, self.paginator)
        page = paginator.paginate_queryset(
            results, request, self, ordering=ORDERINGS_NOMINALS[ordering], ordering_name=ordering
        )
        record_access(
            action=AccessAction.LIST,
            request=request,
            object_type=NOMINAL_IN_RUN,
            result_count=len(page),
            shown=page,
            detail={"run": run.pk},
        )
        return self.get_paginated_response(NominalResultSerializer(page, many=True).data)

    def _profile(self, request, run_id, nominal_id) -> NominalResult:
        return nominal_result_get_for_user(
            user=request.user, run_id=int(run_id), nominal_id=nominal_id, request=request
        )

    def retrieve(self, request, run_id=None, nominal_id=None):
        result = self._profile(request, run_id, nominal_id)
        case = None
        if result.is_child or result.is_vulnerable_adult:
            from safeguarding.models import Case  # safeguarding imports analytics: imported here

            case = (
                objects_for_user(request.user, Case.objects.filter(nominal_id=result.nominal_id))
                .order_by("-pk")
                .first()
            )
            if case is not None:
                record_access(
                    action=AccessAction.VIEW, request=request, obj=case, reason="case state on a person's profile"
                )
        return Response(NominalResultDetailSerializer(result, context={"case": case}).data)

    @extend_schema(
        summary="Why a person has their score",
        parameters=[RUN_ID, NOMINAL_ID],
        responses={200: ExplanationSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="explanation", url_name="explanation")
    def explanation(self, request, run_id=None, nominal_id=None):
        result = self._profile(request, run_id, nominal_id)
        return Response(ExplanationSerializer(result.explanation).data)


@extend_schema_view(
    create=extend_schema(
        summary="Export a run's groups, a group's members or a person's profile",
        description="CSV or PDF, watermarked with who made it, when, its id and OFFICIAL-SENSITIVE; spreadsheet "
        "formulas neutralised. Recorded as an export with the file's SHA-256, the ids it contained, the purpose "
        "and the recipients. The file is not kept: its content is in this answer only.",
        request=ExportCreateSerializer,
        responses={
            201: ExportCreatedSerializer,
            400: FIELD_ERRORS,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    ),
    retrieve=extend_schema(
        summary="One of your exports, as recorded",
        parameters=[EXPORT_ID],
        responses={200: ExportSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class ExportViewSet(viewsets.GenericViewSet):
    serializer_class = ExportSerializer
    lookup_value_regex = r"[^/]{1,64}"
    http_method_names = ["get", "head", "post", "options"]

    def create(self, request):
        # Who may export comes before the body: anyone else gets the same 404 whatever they send.
        export_allowed_or_refuse(user=request.user, request=request)
        body = request.data
        if not isinstance(body, dict):
            return Response(
                {"detail": ["Send a JSON object with run, kind, format, purpose and justification."]},
                status.HTTP_400_BAD_REQUEST,
            )
        given = ExportCreateSerializer(data=body)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            spec = export_request_clean(
                kind=data["kind"],
                format=data["format"],
                run_id=data["run"],
                purpose=data["purpose"],
                justification=data["justification"],
                group=data.get("group"),
                nominal_id=data.get("nominal", ""),
                recipient_agency=data.get("recipient_agency", ""),
                recipient_person=data.get("recipient_person", ""),
            )
            export = export_create(user=request.user, spec=spec, request=request)
        except DjangoValidationError as error:
            return Response(error.message_dict, status.HTTP_400_BAD_REQUEST)
        except ExportNotPossible as error:
            return Response({"detail": str(error)}, status.HTTP_409_CONFLICT)
        event = AccessEvent.objects.get(pk=int(export.event_id or 0))
        return Response(
            {
                **export_data(event),
                "content_type": export.content_type,
                "content_base64": base64.b64encode(export.content).decode("ascii"),
            },
            status.HTTP_201_CREATED,
        )

    def retrieve(self, request, pk=None):
        event = export_get_for_user(user=request.user, export_id=pk, request=request)
        return Response(ExportSerializer(export_data(event)).data)


def register(router) -> None:
    """The analyst's endpoints on the v1 router (portal/urls.py)."""
    router.register("runs", RunViewSet, basename="analysis-run")
    router.register(r"runs/(?P<run_id>\d{1,18})/groups", RunGroupViewSet, basename="run-group")
    router.register(r"runs/(?P<run_id>\d{1,18})/nominals", RunNominalViewSet, basename="run-nominal")
    router.register("exports", ExportViewSet, basename="export")
