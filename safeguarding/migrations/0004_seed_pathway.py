"""Seed the SOCEx hubs, their coverage and the disruption tactics; create the case reference
sequence on PostgreSQL (continuing after any reference already issued)."""

from django.db import migrations


def seed(apps, schema_editor):
    from safeguarding.seed import DISRUPTION_TACTICS, HUBS

    Agency = apps.get_model("accounts", "Agency")
    SocexHub = apps.get_model("safeguarding", "SocexHub")
    HubCoverage = apps.get_model("safeguarding", "HubCoverage")
    TacticKind = apps.get_model("safeguarding", "DisruptionTacticKind")
    for name, code, authorities in HUBS:
        hub, _ = SocexHub.objects.get_or_create(code=code, defaults={"name": name})
        for authority in Agency.objects.filter(code__in=authorities):
            HubCoverage.objects.get_or_create(local_authority=authority, defaults={"hub": hub})
    for code, name in DISRUPTION_TACTICS:
        TacticKind.objects.get_or_create(code=code, defaults={"name": name})


def reference_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Case = apps.get_model("safeguarding", "Case")
    issued = [int(ref.split("-")[-1]) for ref in Case.objects.values_list("reference", flat=True) if ref.split("-")[-1].isdigit()]
    start = max(issued, default=0) + 1
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS safeguarding_case_reference_seq START WITH {start}")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS safeguarding_case_reference_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("safeguarding", "0003_pathway"),
        ("accounts", "0002_seed_agencies"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(reference_sequence, drop_sequence, elidable=False),
    ]
