from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_api_token_scope_expiry_and_cache_table")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="time_zone",
            field=models.CharField(default="UTC", db_default="UTC", max_length=64),
        ),
        migrations.AddField(
            model_name="organisation",
            name="language",
            field=models.CharField(blank=True, default="", db_default="", max_length=10),
        ),
        migrations.AddField(
            model_name="member",
            name="language",
            field=models.CharField(blank=True, default="", db_default="", max_length=10),
        ),
    ]
