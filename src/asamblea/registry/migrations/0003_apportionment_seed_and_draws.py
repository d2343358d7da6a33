from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_frozen_rolls_immutable")]

    operations = [
        migrations.AddField(
            model_name="apportionment",
            name="seed",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="apportionment",
            name="draws",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
