"""The public record is append-only, enforced by the database itself.

PostgreSQL refuses UPDATE and DELETE on entries, tree nodes and checkpoints by trigger (TRUNCATE,
used only by test teardown, is not affected). On SQLite the model layer refuses (Django's test
flush deletes rows there), plus a trigger refusing UPDATE.
"""

from django.db import migrations

TABLES = ["recordstore_recordentry", "recordstore_recordnode", "recordstore_checkpoint"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION recordstore_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the public record is append-only (%% %%)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION recordstore_refuse_change();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the public record is append-only'); END;"
            )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS recordstore_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("recordstore", "0002_record_tree_checkpoints_keys")]
    operations = [migrations.RunPython(forward, backward)]
