"""Seed the partnership's agencies (see portal.accounts.seed)."""

from __future__ import annotations

from django.db import migrations

from portal.accounts.seed import AGENCIES


def seed(apps, schema_editor):
    Agency = apps.get_model("accounts", "Agency")
    Group = apps.get_model("auth", "Group")
    for name, code, kind in AGENCIES:
        group, _ = Group.objects.get_or_create(name=f"agency:{code}")
        Agency.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "group": group})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
