"""Migrations apply in order, once, and re-running them changes nothing."""

from duka.db.migrate import migrate, migration_files


def test_rerunning_migrations_applies_nothing_and_records_every_file(stack, admin_db):
    assert migrate(stack["DATABASE_URL"]) == []
    recorded = [
        r["version"]
        for r in admin_db.execute(
            "SELECT version FROM schema_migrations ORDER BY version"
        ).fetchall()
    ]
    assert recorded == [name for name, _ in migration_files()]
