import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("registry", "0004_api_token_scope_expiry_and_cache_table"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("filename", models.CharField(max_length=200)),
                ("content", models.BinaryField(blank=True, null=True)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("rejected", "rejected"),
                            ("ready", "ready to apply"),
                            ("applying", "applying"),
                            ("done", "done"),
                            ("failed", "failed"),
                            ("discarded", "discarded"),
                        ],
                        max_length=12,
                    ),
                ),
                ("errors", models.JSONField(default=list)),
                ("summary", models.JSONField(default=dict)),
                ("progress", models.CharField(blank=True, max_length=300)),
                ("created_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="import_jobs",
                        to="registry.organisation",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="import_jobs",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["organisation", "-created_at"],
                        name="console_imp_organis_830f7e_idx",
                    )
                ],
            },
        ),
    ]
