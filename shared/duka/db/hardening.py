"""Privileges re-applied after every migration: only `duka_app` may use what Duka defines.

Supabase grants its API roles `anon` and `authenticated` everything in schema `public` by
default (`ALTER DEFAULT PRIVILEGES ... GRANT ALL ON TABLES/FUNCTIONS/SEQUENCES`), and every role
may EXECUTE a new function through PUBLIC. Revoking from PUBLIC alone leaves Supabase's grants,
so this revokes from both, and from the defaults, so the next migration's objects start closed.
It runs inside each migration's transaction, so no new object is ever committed with the grants.

Functions of extensions (pgvector, pg_trgm) are left alone: they compute on values passed in
and read no table. Our SECURITY DEFINER functions keep only their explicit grants (to
`duka_app`, in their migration); our invoker functions run with the caller's own rights, so
`duka_app` may call them all.
"""

from __future__ import annotations

from typing import Any

import psycopg

_HARDEN = """
DO $$
DECLARE
    api_role text;
    routine record;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', api_role);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', api_role);
        EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA public FROM %I', api_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM %I',
                       api_role);
        EXECUTE format(
            'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM %I', api_role);
        EXECUTE format(
            'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON FUNCTIONS FROM %I', api_role);
    END LOOP;
    FOR routine IN
        SELECT p.oid::regprocedure AS signature, p.prosecdef AS definer
          FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                              AND d.deptype = 'e')
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', routine.signature);
        IF NOT routine.definer AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'duka_app') THEN
            EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO duka_app', routine.signature);
        END IF;
    END LOOP;
END
$$
"""


def harden_privileges(conn: psycopg.Connection[Any]) -> None:
    """Revoke Duka's tables, sequences and functions from PUBLIC, anon and authenticated."""
    conn.execute(_HARDEN.encode())
