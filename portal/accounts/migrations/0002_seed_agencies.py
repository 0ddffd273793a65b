"""The partnership's agencies: the force, the seven West Midlands local authorities and the
partners who sit with them. Names other than the force and the local authorities are generic
placeholders for this synthetic deployment."""

from __future__ import annotations

from django.db import migrations

AGENCIES = [
    ("West Midlands Police", "wmp", "police_force"),
    ("Birmingham City Council", "birmingham", "local_authority"),
    ("Coventry City Council", "coventry", "local_authority"),
    ("Dudley Metropolitan Borough Council", "dudley", "local_authority"),
    ("Sandwell Metropolitan Borough Council", "sandwell", "local_authority"),
    ("Solihull Metropolitan Borough Council", "solihull", "local_authority"),
    ("Walsall Metropolitan Borough Council", "walsall", "local_authority"),
    ("City of Wolverhampton Council", "wolverhampton", "local_authority"),
    ("Community Health Trust (synthetic)", "health", "health"),
    ("Schools Safeguarding Service (synthetic)", "education", "education"),
    ("Children's Exploitation Charity (synthetic)", "charity", "charity"),
    ("Youth Offending Service (synthetic)", "youth-offending", "youth_offending"),
    ("Northmoor Mobile (synthetic provider)", "provider-northmoor", "communications_provider"),
]


def seed(apps, schema_editor):
    Agency = apps.get_model("accounts", "Agency")
    Group = apps.get_model("auth", "Group")
    for name, code, kind in AGENCIES:
        group, _ = Group.objects.get_or_create(name=f"agency:{code}")
        Agency.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "group": group})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
