"""Whether the database role the store connects as could switch the log's append-only
triggers off (issue 14.3): the service warns at start and `verify` reports it."""

from __future__ import annotations

from sqlalchemy.engine import Connection


def guard_bypass(conn: Connection) -> str | None:
    """How the connected role could switch the triggers off, or None: it cannot (or the engine
    has no roles: on SQLite whoever can write the file can do anything to it).

    On PostgreSQL a superuser sets `session_replication_role = replica` (every trigger off);
    the table's owner (or a member of the owning role) may `ALTER TABLE events DISABLE
    TRIGGER`; since PostgreSQL 15 the SET privilege on that parameter may be granted too.
    """
    if conn.dialect.name != "postgresql":
        return None
    role, superuser, owner = conn.exec_driver_sql(
        "SELECT current_user, r.rolsuper, "
        "COALESCE(pg_has_role(current_user, c.relowner, 'USAGE'), false) "
        "FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('events') "
        "WHERE r.rolname = current_user").one()
    if superuser:
        return (f"role {role!r} is a superuser: it can switch every trigger off "
                "(SET session_replication_role = replica)")
    if owner:
        return (f"role {role!r} owns the events table: it can ALTER TABLE events "
                "DISABLE TRIGGER")
    if (conn.dialect.server_version_info or (0,)) >= (15,) and conn.exec_driver_sql(
            "SELECT has_parameter_privilege('session_replication_role', 'SET')").scalar():
        return f"role {role!r} may SET session_replication_role (every trigger off)"
    return None


def app_grants(conn: Connection, role: str) -> list[str]:
    """The grants of a role that serves but cannot switch the guards off (README,
    PostgreSQL): SELECT and INSERT on the log and the checkpoints, read and write on every
    projection table (they are rewritten as the log grows, and by `rebuild`)."""
    from stanceline.store.projections import PROJECTIONS

    quote = conn.dialect.identifier_preparer.quote
    schema = quote(str(conn.exec_driver_sql("SELECT current_schema()").scalar_one()))
    who = quote(role)
    projections = ", ".join(f"{schema}.{quote(t.name)}" for p in PROJECTIONS for t in p.tables)
    return [f"GRANT USAGE ON SCHEMA {schema} TO {who}",
            f"GRANT SELECT, INSERT ON {schema}.events, {schema}.checkpoints TO {who}",
            f"GRANT SELECT ON {schema}.alembic_version TO {who}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {projections} TO {who}"]
