-- Dashboard sign-in that cannot be guessed: attempts counted in the database (per phone, per
-- client IP, platform-wide) and server-side sessions. Like owner_login_codes, both tables exist
-- before any tenant is known, so the application role never reads them: only the definer
-- functions below do, and they never return another session's data.

-- Every code request and every wrong code, whoever owns the phone (owners and strangers are
-- counted alike, so the answers cannot tell them apart). Pruned after two days.
CREATE TABLE IF NOT EXISTS login_attempts (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('code_request', 'wrong_code')),
    phone text NOT NULL,
    client_ip text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS login_attempts_phone_idx ON login_attempts (phone, kind, at);
CREATE INDEX IF NOT EXISTS login_attempts_ip_idx ON login_attempts (client_ip, kind, at);
CREATE INDEX IF NOT EXISTS login_attempts_kind_idx ON login_attempts (kind, at);
ALTER TABLE login_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_attempts FORCE ROW LEVEL SECURITY;

-- A browser's session: the cookie holds a random token, this table only its SHA-256. Rows
-- without a phone are visitors on the sign-in pages (CSRF token, the phone being verified).
CREATE TABLE IF NOT EXISTS owner_sessions (
    token_hash text PRIMARY KEY,
    phone text,
    business_id uuid REFERENCES businesses(id) ON DELETE CASCADE,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    user_agent text,
    client_ip text
);
CREATE INDEX IF NOT EXISTS owner_sessions_phone_idx ON owner_sessions (phone) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS owner_sessions_expires_idx ON owner_sessions (expires_at);
ALTER TABLE owner_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE owner_sessions FORCE ROW LEVEL SECURITY;
-- The application role has no privilege on the table at all; the usual tenant policy is there
-- so that, should one ever be granted, a transaction still sees only its own boutique's rows.
DROP POLICY IF EXISTS tenant_isolation ON owner_sessions;
CREATE POLICY tenant_isolation ON owner_sessions USING (business_id = app_business_id())
    WITH CHECK (business_id = app_business_id());

-- Sign-in attempts are serialised platform-wide (they are rare), so no limit can be raced past.
CREATE OR REPLACE FUNCTION login_attempts_lock() RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$ SELECT pg_advisory_xact_lock(hashtext('duka:login_attempts')) $$;

-- How many attempts of `attempt_kind` match, within `window_length`.
CREATE OR REPLACE FUNCTION login_attempts_count(
    attempt_kind text, by_phone text, by_ip text, window_length interval
) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT count(*) FROM login_attempts
          WHERE kind = attempt_kind AND at > now() - window_length
            AND (by_phone IS NULL OR phone = by_phone) AND (by_ip IS NULL OR client_ip = by_ip) $$;

-- Ask for a code: counted for any phone, refused over a limit per phone, per client IP or in
-- all. Returns 'ok' or 'rate_limited'. The code itself is stored only after WhatsApp took it.
-- limits: {phone_max, phone_window, ip_max, ip_window, global_max, global_window}
CREATE OR REPLACE FUNCTION owner_login_request(owner_phone text, ip text, limits jsonb)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    PERFORM login_attempts_lock();
    DELETE FROM login_attempts WHERE at < now() - interval '2 days';
    IF login_attempts_count('code_request', owner_phone, NULL,
            (limits->>'phone_window')::interval) >= (limits->>'phone_max')::int
       OR login_attempts_count('code_request', NULL, ip,
            (limits->>'ip_window')::interval) >= (limits->>'ip_max')::int
       OR login_attempts_count('code_request', NULL, NULL,
            (limits->>'global_window')::interval) >= (limits->>'global_max')::int THEN
        RETURN 'rate_limited';
    END IF;
    INSERT INTO login_attempts (kind, phone, client_ip) VALUES ('code_request', owner_phone, ip);
    RETURN 'ok';
END
$$;

-- Store a code WhatsApp has accepted. Earlier unused codes stop working, so only the newest
-- message in the owner's WhatsApp is valid. Returns 'created' or 'not_owner'.
CREATE OR REPLACE FUNCTION owner_login_code_store(owner_phone text, new_code_hash text, valid_for interval)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM business_owners WHERE phone = owner_phone) THEN
        RETURN 'not_owner';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('owner_login:' || owner_phone));
    UPDATE owner_login_codes SET used_at = now() WHERE phone = owner_phone AND used_at IS NULL;
    INSERT INTO owner_login_codes (phone, code_hash, expires_at)
        VALUES (owner_phone, new_code_hash, now() + valid_for);
    DELETE FROM owner_login_codes WHERE created_at < now() - interval '1 day';
    RETURN 'created';
END
$$;

-- Check a code for any phone, owner or not, the same way: refused over the wrong-code limits
-- (per phone, per client IP, in all) before the code is even compared; after `per_code_max`
-- wrong codes since the phone last asked for one, 'locked' (and the live code is burnt).
-- Returns 'ok', 'wrong', 'locked' or 'rate_limited'.
-- limits: {per_code_max, phone_max, phone_window, ip_max, ip_window, global_max, global_window}
CREATE OR REPLACE FUNCTION owner_login_verify(owner_phone text, given_hash text, ip text, limits jsonb)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    live owner_login_codes%ROWTYPE;
    has_live boolean;
    asked_at timestamptz;
BEGIN
    PERFORM login_attempts_lock();
    IF login_attempts_count('wrong_code', owner_phone, NULL,
            (limits->>'phone_window')::interval) >= (limits->>'phone_max')::int
       OR login_attempts_count('wrong_code', NULL, ip,
            (limits->>'ip_window')::interval) >= (limits->>'ip_max')::int
       OR login_attempts_count('wrong_code', NULL, NULL,
            (limits->>'global_window')::interval) >= (limits->>'global_max')::int THEN
        RETURN 'rate_limited';
    END IF;
    SELECT max(at) INTO asked_at FROM login_attempts
        WHERE phone = owner_phone AND kind = 'code_request';
    IF (SELECT count(*) FROM login_attempts WHERE phone = owner_phone AND kind = 'wrong_code'
            AND at > coalesce(asked_at, '-infinity')) >= (limits->>'per_code_max')::int THEN
        RETURN 'locked';
    END IF;
    SELECT * INTO live FROM owner_login_codes
        WHERE phone = owner_phone AND used_at IS NULL AND expires_at > now()
        ORDER BY created_at DESC LIMIT 1 FOR UPDATE;
    has_live := FOUND;
    IF has_live AND live.code_hash = given_hash THEN
        UPDATE owner_login_codes SET used_at = now() WHERE id = live.id;
        RETURN 'ok';
    END IF;
    INSERT INTO login_attempts (kind, phone, client_ip) VALUES ('wrong_code', owner_phone, ip);
    IF (SELECT count(*) FROM login_attempts WHERE phone = owner_phone AND kind = 'wrong_code'
            AND at > coalesce(asked_at, '-infinity')) >= (limits->>'per_code_max')::int THEN
        UPDATE owner_login_codes SET used_at = now() WHERE phone = owner_phone AND used_at IS NULL;
        RETURN 'locked';
    END IF;
    IF has_live THEN
        UPDATE owner_login_codes SET failed_attempts = failed_attempts + 1 WHERE id = live.id;
    END IF;
    RETURN 'wrong';
END
$$;

-- Sessions: created, read and changed only by the hash of the token the browser presents.
CREATE OR REPLACE FUNCTION owner_session_create(
    new_token_hash text, owner_phone text, owner_business uuid, session_data jsonb,
    lifetime interval, agent text, ip text
) RETURNS timestamptz
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    expiry timestamptz := now() + lifetime;
BEGIN
    DELETE FROM owner_sessions WHERE expires_at < now() - interval '1 day';
    INSERT INTO owner_sessions (token_hash, phone, business_id, data, expires_at, user_agent, client_ip)
        VALUES (new_token_hash, owner_phone, owner_business, session_data, expiry,
                left(agent, 200), ip);
    RETURN expiry;
END
$$;

CREATE OR REPLACE FUNCTION owner_session_load(presented_hash text)
    RETURNS TABLE (phone text, business_id uuid, data jsonb, expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    UPDATE owner_sessions s SET last_seen_at = now()
        WHERE s.token_hash = presented_hash AND s.last_seen_at < now() - interval '1 minute';
    RETURN QUERY SELECT s.phone, s.business_id, s.data, s.expires_at FROM owner_sessions s
        WHERE s.token_hash = presented_hash AND s.revoked_at IS NULL AND s.expires_at > now();
END
$$;

CREATE OR REPLACE FUNCTION owner_session_save(presented_hash text, session_data jsonb)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$ UPDATE owner_sessions SET data = session_data
          WHERE token_hash = presented_hash AND revoked_at IS NULL $$;

CREATE OR REPLACE FUNCTION owner_session_revoke(presented_hash text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$ UPDATE owner_sessions SET revoked_at = now()
          WHERE token_hash = presented_hash AND revoked_at IS NULL $$;

-- "Sign out everywhere": every live session of the presenting session's phone.
CREATE OR REPLACE FUNCTION owner_session_revoke_everywhere(presented_hash text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    revoked integer;
BEGIN
    UPDATE owner_sessions SET revoked_at = now()
        WHERE revoked_at IS NULL AND phone = (
            SELECT phone FROM owner_sessions WHERE token_hash = presented_hash
                AND revoked_at IS NULL AND expires_at > now() AND phone IS NOT NULL);
    GET DIAGNOSTICS revoked = ROW_COUNT;
    RETURN revoked;
END
$$;

-- Removing an owner, however it is done, ends their sessions in that boutique at once.
CREATE OR REPLACE FUNCTION owner_sessions_revoke_removed_owner() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    UPDATE owner_sessions SET revoked_at = now()
        WHERE business_id = OLD.business_id AND phone = OLD.phone AND revoked_at IS NULL;
    RETURN OLD;
END
$$;
DROP TRIGGER IF EXISTS business_owners_revoke_sessions ON business_owners;
CREATE TRIGGER business_owners_revoke_sessions AFTER DELETE ON business_owners
    FOR EACH ROW EXECUTE FUNCTION owner_sessions_revoke_removed_owner();

-- The old create/verify pair stored a code before it was sent and counted nothing per IP.
DROP FUNCTION IF EXISTS owner_login_code_create(text, text, interval, integer, interval);
DROP FUNCTION IF EXISTS owner_login_code_verify(text, text, integer);

DO $$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'login_attempts_lock()',
        'login_attempts_count(text, text, text, interval)',
        'owner_login_request(text, text, jsonb)',
        'owner_login_code_store(text, text, interval)',
        'owner_login_verify(text, text, text, jsonb)',
        'owner_session_create(text, text, uuid, jsonb, interval, text, text)',
        'owner_session_load(text)',
        'owner_session_save(text, jsonb)',
        'owner_session_revoke(text)',
        'owner_session_revoke_everywhere(text)',
        'owner_sessions_revoke_removed_owner()'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
            EXECUTE format('REVOKE ALL ON FUNCTION %s FROM anon', fn);
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
            EXECUTE format('REVOKE ALL ON FUNCTION %s FROM authenticated', fn);
        END IF;
    END LOOP;
END
$$;
REVOKE ALL ON login_attempts, owner_sessions FROM PUBLIC;
GRANT EXECUTE ON FUNCTION owner_login_request(text, text, jsonb) TO duka_app;
GRANT EXECUTE ON FUNCTION owner_login_code_store(text, text, interval) TO duka_app;
GRANT EXECUTE ON FUNCTION owner_login_verify(text, text, text, jsonb) TO duka_app;
GRANT EXECUTE ON FUNCTION owner_session_create(text, text, uuid, jsonb, interval, text, text)
    TO duka_app;
GRANT EXECUTE ON FUNCTION owner_session_load(text) TO duka_app;
GRANT EXECUTE ON FUNCTION owner_session_save(text, jsonb) TO duka_app;
GRANT EXECUTE ON FUNCTION owner_session_revoke(text) TO duka_app;
GRANT EXECUTE ON FUNCTION owner_session_revoke_everywhere(text) TO duka_app;
