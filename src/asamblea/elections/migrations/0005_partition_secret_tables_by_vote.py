"""PostgreSQL only: the five per-vote secret tables partitioned by vote (``PARTITION BY LIST
(election_id)``), existing rows moved into one partition per vote. SQLite keeps plain tables.

Each table is rebuilt: a partitioned table of the same columns, one partition per vote that has
rows or is open, the rows copied in, the old table dropped, and then its constraints and indexes
put back on the new one under their old names (they reach every partition), except that the
primary key becomes ``(id, election_id)`` (a partitioned table's keys include its partition key)
and the index on election_id alone is dropped (a partition holds one vote). Django still knows
the primary key as ``id``. Reversible: backwards rebuilds plain tables the same way.
docs/adr/0017-partitions-and-streaming.md says why these five and how a vote's partitions are
created at open and rewritten at close (``asamblea.elections.storage``).
"""

from django.db import migrations

TABLES = (
    "elections_ballot",
    "elections_trackingcode",
    "elections_participation",
    "elections_castfingerprint",
    "elections_idempotencyrecord",
)


def _definitions(cur, table):
    """The table's constraints (but its primary key) and plain indexes, as SQL to re-create."""
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
        [table],
    )
    constraints = cur.fetchall()
    cur.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        " ORDER BY i.relname",
        [table],
    )
    indexes = cur.fetchall()
    return constraints, indexes


def _rebuild(cur, table, partitioned):
    constraints, indexes = _definitions(cur, table)
    new = f"{table}__rebuilt"
    by = " PARTITION BY LIST (election_id)" if partitioned else ""
    cur.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS){by}")
    if partitioned:
        cur.execute(
            f"SELECT DISTINCT election_id FROM {table} UNION"
            " SELECT id FROM elections_election WHERE state = 'open' ORDER BY 1"
        )
        for (eid,) in cur.fetchall():
            cur.execute(
                f"CREATE TABLE {table}_e{int(eid)} PARTITION OF {new} FOR VALUES IN ({int(eid)})"
            )
    cur.execute(f"INSERT INTO {new} SELECT * FROM {table}")
    cur.execute(f"DROP TABLE {table}")  # its partitions, if any, with it
    cur.execute(f"ALTER TABLE {new} RENAME TO {table}")
    key = "(id, election_id)" if partitioned else "(id)"
    cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY {key}")
    for name, definition in constraints:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        if partitioned and definition.endswith("(election_id)"):
            continue  # one vote per partition: this index would hold one value
        cur.execute(definition)
    if not partitioned:
        # Back to Django's own index on the foreign key, as migration 0001 made it.
        cur.execute(f"CREATE INDEX IF NOT EXISTS {table}_election_id ON {table} (election_id)")


def _apply(schema_editor, partitioned):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for table in TABLES:
            cur.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
            if (cur.fetchone()[0] == "p") != partitioned:
                _rebuild(cur, table, partitioned)


def forwards(apps, schema_editor):
    _apply(schema_editor, partitioned=True)


def backwards(apps, schema_editor):
    _apply(schema_editor, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0004_idempotency_key_unique_per_vote"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
