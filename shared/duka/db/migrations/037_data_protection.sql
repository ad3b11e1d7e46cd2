-- Data protection (issue 18, part 5; Kenya Data Protection Act 2019): every request a customer
-- makes for her data or its deletion, in chat or through the owner, with when it was done
-- (duka/privacy/requests.py); the download links she is sent; what deletion and the nightly
-- retention purge need that the application role could not do before.

-- One row per request. The customer is named by her masked phone only ("+254******678"), so the
-- log itself keeps no number after her data is deleted.
CREATE TABLE IF NOT EXISTS privacy_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('export', 'deletion')),
    channel text NOT NULL CHECK (channel IN ('chat', 'owner')),
    conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
    customer_masked text NOT NULL,
    -- open: asked, not done yet (a deletion waiting for her "Yes, delete");
    -- replying: her data is anonymised, the confirmation to her number is being sent, after
    -- which the chat forgets the number (duka/privacy/finish.py); completed; cancelled.
    status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'replying', 'completed', 'cancelled')),
    handled_by text NOT NULL,  -- 'agent', or the phone of the owner or staff who acted
    requested_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    -- An export sent in chat: the SHA-256 of the download link's token, and until when it works.
    token_hash text UNIQUE,
    token_expires_at timestamptz,
    CHECK ((status IN ('completed', 'cancelled')) = (completed_at IS NOT NULL)),
    CHECK ((token_hash IS NULL) = (token_expires_at IS NULL))
);
CREATE INDEX IF NOT EXISTS privacy_requests_business_idx
    ON privacy_requests (business_id, requested_at DESC);

ALTER TABLE privacy_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE privacy_requests FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON privacy_requests;
CREATE POLICY tenant_isolation ON privacy_requests
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON privacy_requests TO duka_app;

-- Deletion masks her number where a row must stay (attribution of a sale, a consent record)
-- and removes rows that are only about her taste.
GRANT UPDATE (customer_phone) ON sales_touches TO duka_app;
GRANT UPDATE (customer_phone) ON consent_events TO duka_app;
GRANT DELETE ON size_choices TO duka_app;
GRANT DELETE ON stock_alerts TO duka_app;
GRANT UPDATE (words) ON demand_signals TO duka_app;

-- The audit log stays append-only for the application; only a deletion may rewrite her number
-- in it, in the current boutique's rows, through this function. Returns the rows changed.
CREATE OR REPLACE FUNCTION audit_log_forget_phone(numbers text[], replacement text)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    number text;
    changed integer := 0;
    n integer;
BEGIN
    IF app_business_id() IS NULL THEN
        RETURN 0;
    END IF;
    FOREACH number IN ARRAY numbers LOOP
        CONTINUE WHEN length(number) < 7;
        UPDATE audit_log
           SET subject_id = replace(subject_id, number, replacement),
               details = replace(details::text, number, replacement)::jsonb
         WHERE business_id = app_business_id()
           AND (strpos(COALESCE(subject_id, ''), number) > 0
                OR strpos(details::text, number) > 0);
        GET DIAGNOSTICS n = ROW_COUNT;
        changed := changed + n;
    END LOOP;
    RETURN changed;
END
$$;
REVOKE ALL ON FUNCTION audit_log_forget_phone(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_log_forget_phone(text[], text) TO duka_app;

-- The nightly retention purge (duka/privacy/retention.py) needs to know which boutiques have
-- chat messages older than their own retention (settings.privacy.retention_months, default
-- 12); it purges each under that boutique's RLS. Returns ids only.
CREATE OR REPLACE FUNCTION privacy_retention_due(max_rows integer)
    RETURNS TABLE (business_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT b.id FROM businesses b
          WHERE EXISTS (
              SELECT 1 FROM messages m WHERE m.business_id = b.id
                 AND m.created_at < now() - make_interval(months => COALESCE(
                     (b.settings -> 'privacy' ->> 'retention_months')::integer, 12)))
          ORDER BY b.id LIMIT max_rows $$;
REVOKE ALL ON FUNCTION privacy_retention_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy_retention_due(integer) TO duka_app;

-- Deletions asked for in chat whose confirmation reply is on its way: the sweep lets the chat
-- forget her number once it has gone (duka/privacy/finish.py). Returns ids only.
CREATE OR REPLACE FUNCTION privacy_deletions_replying(max_rows integer)
    RETURNS TABLE (business_id uuid, request_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT r.business_id, r.id FROM privacy_requests r WHERE r.status = 'replying'
          ORDER BY r.requested_at LIMIT max_rows $$;
REVOKE ALL ON FUNCTION privacy_deletions_replying(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy_deletions_replying(integer) TO duka_app;
