"""Each division keeps its running tally (``live_totals``, ``live_counts``), backfilled here from
the votes already cast, so that divisions open when this migration runs show the same tally."""

from collections import defaultdict
from fractions import Fraction

from django.db import migrations, models
from django.db.models import Count

CHOICES = ("for", "against", "abstain")


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Division = apps.get_model("assemblies", "Division")
    DelegateVote = apps.get_model("assemblies", "DelegateVote")
    totals = defaultdict(lambda: {c: Fraction(0) for c in CHOICES})
    counts = defaultdict(lambda: {c: 0 for c in CHOICES})
    # Grouped by weight: the work follows the number of distinct weights, not of votes.
    rows = list(
        DelegateVote.objects.values_list("division_id", "choice", "weight_num", "weight_den")
        .annotate(n=Count("id"))
        .order_by()
    )
    for division_id, choice, num, den, n in rows:
        totals[division_id][choice] += Fraction(num, den) * n
        counts[division_id][choice] += n
    # A division without votes keeps {}: read as zero for every choice.
    for division_id in sorted(counts):
        Division.objects.filter(pk=division_id).update(
            live_totals={c: str(t) for c, t in totals[division_id].items()},
            live_counts=counts[division_id],
        )


class Migration(migrations.Migration):
    dependencies = [("assemblies", "0002_instruction_election")]

    operations = [
        migrations.AddField(
            model_name="division",
            name="live_counts",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="division",
            name="live_totals",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
