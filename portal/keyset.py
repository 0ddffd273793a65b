"""Keyset ("cursor") pages for the API's long lists: the next page starts after the last row
shown, found through the list's index, never by counting past OFFSET rows. A run's people list
has 100,000 rows; page 1,000 of it by OFFSET read and threw away 50,000 of them first.

DRF's own CursorPagination positions on the first ordering field alone and needs it non-null;
the people in a run are ordered by tuples such as (dismantle_rank, nominal_id), where most
ranks are NULL. Here the cursor holds the last row's value of every ordering field, signed (a
client cannot forge a position or read one), and NULLs sort last on every database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core import signing
from django.db.models import F, OrderBy, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

_SALT = "portal.keyset"
CURSOR_PARAM = "cursor"
CURSOR_HELP = "The `next` link's cursor, to fetch the page after the one that gave it."


def _fields(model, ordering: Sequence[str]) -> list[tuple[str, bool, bool]]:
    """(name, descending, nullable) for each ordering field ("-name" descending)."""
    return [
        (field.lstrip("-"), field.startswith("-"), model._meta.get_field(field.lstrip("-")).null) for field in ordering
    ]


def ordering_expressions(model, ordering: Sequence[str]) -> list[OrderBy | F]:
    """ORDER BY for `ordering`, NULLs last on every database. A NOT NULL field is ordered plainly,
    so PostgreSQL walks its index (an index on `score DESC` is NULLS FIRST, which `DESC NULLS LAST`
    would not match)."""
    expressions: list[OrderBy | F] = []
    for name, descending, nullable in _fields(model, ordering):
        if nullable:
            expressions.append(F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True))
        else:
            expressions.append(F(name).desc() if descending else F(name).asc())
    return expressions


def _beyond(name: str, descending: bool, nullable: bool, value: Any) -> Q | None:
    """Rows strictly after `value` in this field's order (NULLs come after every value)."""
    if value is None:
        return None  # nothing sorts after NULL on this field
    later = Q(**{f"{name}__lt" if descending else f"{name}__gt": value})
    return later | Q(**{f"{name}__isnull": True}) if nullable else later


def after(queryset: QuerySet, ordering: Sequence[str], values: Sequence[Any]) -> QuerySet:
    """The rows of `queryset` (ordered by `ordering`) that come after the row whose field values
    are `values`: (a > x) or (a = x and b > y) or ..., and, where the first field is NOT NULL, a
    bound on it alone (a >= x) that the database starts its index walk at."""
    fields = _fields(queryset.model, ordering)
    condition = Q(pk__in=[])
    equal = Q()
    for (name, descending, nullable), value in zip(fields, values, strict=True):
        beyond = _beyond(name, descending, nullable, value)
        if beyond is not None:
            condition |= equal & beyond
        equal &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    first, descending, nullable = fields[0]
    if values[0] is not None and not nullable:
        condition &= Q(**{f"{first}__lte" if descending else f"{first}__gte": values[0]})
    return queryset.filter(condition)


def cursor_for(ordering_name: str, values: Sequence[Any]) -> str:
    """The signed cursor of the page after the row with these ordering values."""
    return signing.dumps([ordering_name, list(values)], salt=_SALT, compress=True)


class KeysetPagination(BasePagination):
    """Pages of `page_size` rows with a signed `next` cursor and no count.

    The view passes the ordering (field names, "-" for descending, the last one unique) to
    `paginate_queryset(queryset, request, view, ordering=..., ordering_name=...)`; a cursor made
    for one ordering is refused for another."""

    page_size = 50

    def paginate_queryset(self, queryset, request: Request, view=None, *, ordering=(), ordering_name: str = ""):
        if not ordering:
            raise ValueError("KeysetPagination needs the list's ordering.")
        self.request = request
        queryset = queryset.order_by(*ordering_expressions(queryset.model, ordering))
        token = request.query_params.get(CURSOR_PARAM, "")
        if token:
            try:
                made_for, values = signing.loads(token, salt=_SALT)
            except (signing.BadSignature, ValueError, TypeError) as error:
                raise ValidationError(
                    {CURSOR_PARAM: ["This cursor is not valid: use the next link as given."]}
                ) from error
            if made_for != ordering_name or not isinstance(values, list) or len(values) != len(ordering):
                raise ValidationError(
                    {CURSOR_PARAM: ["This cursor belongs to another ordering: start again without it."]}
                )
            queryset = after(queryset, ordering, values)
        rows = list(queryset[: self.page_size + 1])
        self.next_cursor = ""
        if len(rows) > self.page_size:
            rows = rows[: self.page_size]
            last = rows[-1]
            values = [getattr(last, field.lstrip("-")) for field in ordering]
            self.next_cursor = cursor_for(ordering_name, values)
        return rows

    def get_next_link(self) -> str | None:
        if not self.next_cursor:
            return None
        return replace_query_param(self.request.build_absolute_uri(), CURSOR_PARAM, self.next_cursor)

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": CURSOR_HELP,
                "schema": {"type": "string", "maxLength": 2000},
            }
        ]
