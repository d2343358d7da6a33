"""Frozen rolls and their entries can never be changed, enforced by the database itself.

PostgreSQL refuses UPDATE and DELETE by trigger (TRUNCATE, used only by test teardown, is not
affected). SQLite refuses UPDATE by trigger; DELETE is refused in the model layer, since Django's
test flush deletes rows on SQLite.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION asamblea_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% is immutable', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER registry_roll_immutable BEFORE UPDATE OR DELETE ON registry_roll
    FOR EACH ROW EXECUTE FUNCTION asamblea_refuse_change();
CREATE TRIGGER registry_rollentry_immutable BEFORE UPDATE OR DELETE ON registry_rollentry
    FOR EACH ROW EXECUTE FUNCTION asamblea_refuse_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS registry_roll_immutable ON registry_roll;
DROP TRIGGER IF EXISTS registry_rollentry_immutable ON registry_rollentry;
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER registry_roll_immutable BEFORE UPDATE ON registry_roll
       BEGIN SELECT RAISE(ABORT, 'registry_roll is immutable'); END;""",
    """CREATE TRIGGER registry_rollentry_immutable BEFORE UPDATE ON registry_rollentry
       BEGIN SELECT RAISE(ABORT, 'registry_rollentry is immutable'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS registry_roll_immutable;",
    "DROP TRIGGER IF EXISTS registry_rollentry_immutable;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_organisations_bodies_members_seats")]
    operations = [migrations.RunPython(forward, backward)]
