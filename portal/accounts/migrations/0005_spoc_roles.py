"""The communications-data roles: designated senior officer and senior responsible officer."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_staff_vetting_details"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("analyst", "Analyst"),
                    ("intelligence_supervisor", "Intelligence supervisor"),
                    ("police_safeguarding_officer", "Police safeguarding officer (SOCEx hub)"),
                    ("mash_practitioner", "MASH practitioner"),
                    ("mash_manager", "MASH manager"),
                    ("panel_member", "Panel member"),
                    ("partner_practitioner", "Partner practitioner"),
                    ("auditor", "Auditor"),
                    ("spoc", "SPoC"),
                    ("provider_spoc", "Provider SPoC"),
                    ("designated_senior_officer", "Designated senior officer (communications data)"),
                    ("senior_responsible_officer", "Senior responsible officer (communications data)"),
                    ("administrator", "Administrator"),
                ],
                max_length=32,
            ),
        ),
    ]
