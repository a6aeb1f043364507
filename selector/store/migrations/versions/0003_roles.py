"""Roles on PostgreSQL: each login writes as itself; only a round's facilitator changes it

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-12 10:00:00.000000

On PostgreSQL the database holds the line the store API draws, for anyone writing SQL
directly with their own login (SQLite has no logins: the API's check is all there is).

- Privileges: any login that may connect to the database reads every table and adds
  rows; nobody updates or deletes a saved row, except a round's ``status`` and
  ``adopted_model_version_id`` (adopting or closing it). Who may connect is the DBA's
  ``GRANT CONNECT ON DATABASE``.
- Row-level security (forced, so the tables' owner is held to it too; superusers are
  not): a row's ``author``, a round's ``facilitator`` and a judgment set's
  ``participant`` must be the login adding it, and only the facilitator's login
  updates a round. A login that is a member of the ``selector_app`` role (the app's,
  saving for its signed-in users) may write for others.

The workspace should be created (first save) by a login that owns it and is not
anyone's day-to-day login: a table's owner may change its policies.
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

#: Tables whose rows name who added them, and that column.
OWNED = {
    "model_versions": "author",
    "scenario_versions": "author",
    "runs": "author",
    "whatifs": "author",
    "studies": "author",
    "study_results": "author",
    "rounds": "facilitator",
    "judgment_sets": "participant",
}
TABLES = ("blobs", "scenario_tables", *OWNED)
SERIAL = tuple(t for t in OWNED)  # each has an integer id drawn from a sequence
AS_OTHERS = "selector_may_act_for_others()"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION selector_may_act_for_others() RETURNS boolean LANGUAGE sql STABLE "
        "AS $$ SELECT EXISTS (SELECT 1 FROM pg_roles a WHERE a.rolname = 'selector_app' "
        "AND pg_has_role(current_user, a.oid, 'MEMBER')) $$"
    )
    op.execute(f"REVOKE ALL ON {', '.join(TABLES)}, alembic_version FROM PUBLIC")
    op.execute(f"GRANT SELECT, INSERT ON {', '.join(TABLES)} TO PUBLIC")
    op.execute("GRANT SELECT ON alembic_version TO PUBLIC")
    op.execute("GRANT UPDATE (status, adopted_model_version_id) ON rounds TO PUBLIC")
    for table in SERIAL:
        op.execute(
            f"DO $$ BEGIN EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO PUBLIC', "
            f"pg_get_serial_sequence('{table}', 'id')); END $$"
        )
    for table, column in OWNED.items():
        mine = f"({column} = current_user OR {AS_OTHERS})"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (true)")
        op.execute(f"CREATE POLICY {table}_add ON {table} FOR INSERT WITH CHECK {mine}")
    op.execute(
        "CREATE POLICY rounds_facilitate ON rounds FOR UPDATE "
        f"USING (facilitator = current_user OR {AS_OTHERS}) "
        f"WITH CHECK (facilitator = current_user OR {AS_OTHERS})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY rounds_facilitate ON rounds")
    for table in OWNED:
        op.execute(f"DROP POLICY {table}_add ON {table}")
        op.execute(f"DROP POLICY {table}_read ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON {', '.join(TABLES)}, alembic_version FROM PUBLIC")
    op.execute("DROP FUNCTION selector_may_act_for_others()")
