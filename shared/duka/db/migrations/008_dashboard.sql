-- The owner dashboard: who may manage a boutique, one-time sign-in codes, unread markers.

-- Owners of a business (granted with `duka owner add`); a tenant table like the others.
CREATE TABLE IF NOT EXISTS business_owners (
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    phone text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, phone)
);
CREATE INDEX IF NOT EXISTS business_owners_phone_idx ON business_owners (phone);

ALTER TABLE business_owners ENABLE ROW LEVEL SECURITY;
ALTER TABLE business_owners FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON business_owners;
CREATE POLICY tenant_isolation ON business_owners USING (business_id = app_business_id())
    WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, DELETE ON business_owners TO duka_app;

-- Sign-in codes exist before any tenant is known, so the application role never reads this
-- table: only the definer functions below do, and they never return a code.
CREATE TABLE IF NOT EXISTS owner_login_codes (
    id bigserial PRIMARY KEY,
    phone text NOT NULL,
    code_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    failed_attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS owner_login_codes_phone_idx ON owner_login_codes (phone, created_at DESC);
ALTER TABLE owner_login_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE owner_login_codes FORCE ROW LEVEL SECURITY;

-- When the owner last opened a conversation: newer customer messages show as unread.
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS owner_read_at timestamptz;

-- The boutiques a phone may manage (the sign-in page knows a phone, not a tenant).
CREATE OR REPLACE FUNCTION owner_businesses(owner_phone text)
    RETURNS TABLE (business_id uuid, name text, whatsapp_number text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT b.id, b.name, b.whatsapp_number FROM business_owners o
          JOIN businesses b ON b.id = o.business_id
          WHERE o.phone = owner_phone ORDER BY b.name, b.id $$;

-- Store a new code for an owner unless too many were asked for recently. Earlier unused codes
-- stop working, so only the newest message in the owner's WhatsApp is valid.
-- Returns 'created', 'not_owner' or 'rate_limited'.
CREATE OR REPLACE FUNCTION owner_login_code_create(
    owner_phone text, new_code_hash text, valid_for interval, max_codes integer, per_window interval
) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM business_owners WHERE phone = owner_phone) THEN
        RETURN 'not_owner';
    END IF;
    -- Serialise concurrent requests for one phone so the limit cannot be raced past.
    PERFORM pg_advisory_xact_lock(hashtext('owner_login:' || owner_phone));
    IF (SELECT count(*) FROM owner_login_codes
        WHERE phone = owner_phone AND created_at > now() - per_window) >= max_codes THEN
        RETURN 'rate_limited';
    END IF;
    UPDATE owner_login_codes SET used_at = now() WHERE phone = owner_phone AND used_at IS NULL;
    INSERT INTO owner_login_codes (phone, code_hash, expires_at)
        VALUES (owner_phone, new_code_hash, now() + valid_for);
    DELETE FROM owner_login_codes WHERE created_at < now() - interval '1 day';
    RETURN 'created';
END
$$;

-- Check a code: single use, expires, and a few wrong guesses burn it.
-- Returns 'ok', 'wrong', 'locked' (too many wrong guesses) or 'none' (no live code).
CREATE OR REPLACE FUNCTION owner_login_code_verify(
    owner_phone text, given_hash text, max_failures integer
) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    live owner_login_codes%ROWTYPE;
BEGIN
    SELECT * INTO live FROM owner_login_codes
        WHERE phone = owner_phone AND used_at IS NULL AND expires_at > now()
        ORDER BY created_at DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'none';
    END IF;
    IF live.code_hash = given_hash THEN
        UPDATE owner_login_codes SET used_at = now() WHERE id = live.id;
        RETURN 'ok';
    END IF;
    UPDATE owner_login_codes SET failed_attempts = failed_attempts + 1,
        used_at = CASE WHEN failed_attempts + 1 >= max_failures THEN now() END
        WHERE id = live.id;
    RETURN CASE WHEN live.failed_attempts + 1 >= max_failures THEN 'locked' ELSE 'wrong' END;
END
$$;

REVOKE ALL ON FUNCTION owner_businesses(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION owner_login_code_create(text, text, interval, integer, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION owner_login_code_verify(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION owner_businesses(text) TO duka_app;
GRANT EXECUTE ON FUNCTION owner_login_code_create(text, text, interval, integer, interval)
    TO duka_app;
GRANT EXECUTE ON FUNCTION owner_login_code_verify(text, text, integer) TO duka_app;
