import datetime as dt

from django.core.management import call_command
from django.db import migrations, models

TOKEN_DAYS = 30


def give_tokens_a_term(apps, schema_editor):
    # Tokens made before tokens expired get the same 30 days, counted from now.
    api_token = apps.get_model("registry", "ApiToken")
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=TOKEN_DAYS)
    api_token.objects.filter(expires_at__isnull=True).update(expires_at=until)


def create_cache_table(apps, schema_editor):
    # The guessing budgets' table (settings.CACHES, the embedded default); a no-op with Redis.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_apportionment_seed_and_draws")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(default="write", max_length=20),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(give_tokens_a_term, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
