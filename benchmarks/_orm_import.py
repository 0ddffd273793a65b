"""The plain baseline: read the CSVs with the csv module and save row by row with the ORM."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import django


def main(bundle: Path) -> None:
    django.setup()
    from auditlog.context import disable_auditlog
    from django.db import transaction

    from analytics.models import Association, Nominal, Record, RecordNominal, SocMembership

    def rows(name):
        path = bundle / name
        if not path.exists():
            return []
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    # The fast path writes no per-row change log either, so neither does the baseline.
    with transaction.atomic(), disable_auditlog():
        for row in rows("nominals.csv"):
            Nominal.objects.update_or_create(
                nominal_id=row["nominal_id"],
                defaults={
                    "surname": row["surname"],
                    "forenames": row["forenames"],
                    "date_of_birth": row["date_of_birth"] or None,
                    "gender": row["gender"],
                    "local_authority": row["local_authority"],
                    "flags": row["flags"],
                },
            )
        for row in rows("records.csv"):
            Record.objects.update_or_create(
                record_id=row["record_id"],
                defaults={
                    "source": row["source"],
                    "recorded_at": row["recorded_at"],
                    "offence_code": row["offence_code"],
                    "text": row["text"],
                },
            )
        for row in rows("record_nominals.csv"):
            RecordNominal.objects.get_or_create(
                record_id=row["record_id"], nominal_id=row["nominal_id"], role=row["role"]
            )
        for row in rows("associations.csv"):
            Association.objects.get_or_create(
                nominal_a_id=row["nominal_id_a"], nominal_b_id=row["nominal_id_b"], kind=row["kind"]
            )
        for row in rows("soc_groups.csv"):
            SocMembership.objects.get_or_create(soc_group_id=row["soc_group_id"], nominal_id=row["nominal_id"])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
