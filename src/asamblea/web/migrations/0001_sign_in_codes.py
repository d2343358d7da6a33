import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("registry", "0002_frozen_rolls_immutable"),
    ]

    operations = [
        migrations.CreateModel(
            name="SignInCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code_hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sign_in_codes",
                        to="registry.member",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["member", "created_at"], name="web_signinc_member__2c78f0_idx")],
            },
        ),
    ]
