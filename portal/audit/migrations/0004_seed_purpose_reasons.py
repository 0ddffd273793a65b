from django.db import migrations

REASONS = [
    ("safeguarding-concern", "A new safeguarding concern about this person", True, True),
    ("risk-to-life", "Risk to life or of serious harm", True, True),
    ("cover-colleague", "Covering a colleague's caseload", True, False),
    ("partner-request", "A request from a partner agency", True, True),
    ("investigation", "A police investigation I am assigned to", True, True),
    ("strategy-discussion", "Preparing for a strategy discussion or panel", True, True),
    ("subject-access", "A subject access request or complaint", False, True),
    ("court-or-legal", "Court proceedings or legal advice", False, True),
]


def seed(apps, schema_editor):
    PurposeReason = apps.get_model("audit", "PurposeReason")
    for order, (code, label, break_glass, disclosure) in enumerate(REASONS):
        PurposeReason.objects.get_or_create(
            code=code,
            defaults={"label": label, "for_break_glass": break_glass, "for_disclosure": disclosure, "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_auditor_workspace")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
