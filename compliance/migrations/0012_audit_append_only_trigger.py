"""On PostgreSQL, the database itself refuses any UPDATE or DELETE of an audit event.

The model and its queryset refuse them already; the trigger also stops raw SQL, a shell and
any code path that goes around the ORM. TRUNCATE (a test run's flush, a deliberate wipe by the
database owner) is not a row operation and stays possible. A later migration that must rewrite
the table has to drop the trigger first, in plain sight.
"""
from django.db import migrations

FUNCTION = "compliance_auditevent_append_only"
TRIGGER = "compliance_auditevent_append_only"

CREATE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'compliance_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON compliance_auditevent
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON compliance_auditevent;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # None: the "%" of RAISE is not a placeholder
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("compliance", "0011_audit_trail"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
