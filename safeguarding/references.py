"""Case reference numbers from the database: a sequence on PostgreSQL, a locked counter row on
SQLite (whose writers are serialised). Never "last id + 1", which two writers can share."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F

SEQUENCE = "safeguarding_case_reference_seq"


def format_reference(number: int) -> str:
    return f"SG-{number:06d}"


def next_reference_numbers(count: int) -> list[int]:
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval('{SEQUENCE}') FROM generate_series(1, %s)", [count])
            return [row[0] for row in cursor.fetchall()]
    from .models import ReferenceCounter

    with transaction.atomic():
        ReferenceCounter.objects.get_or_create(name="case")
        ReferenceCounter.objects.filter(name="case").update(value=F("value") + count)
        last = ReferenceCounter.objects.get(name="case").value
    return list(range(last - count + 1, last + 1))


def next_references(count: int) -> list[str]:
    return [format_reference(number) for number in next_reference_numbers(count)]
