-- Broadcasts: the owner sends chosen products (new arrivals, a sale) to consented customers.
-- Pressing Send fixes the recipients (`broadcast_recipients`, one row per customer); the
-- `broadcasts` job (duka/broadcasts/job.py) then claims them under the number's daily messaging
-- limit, each in the transaction that queues her messages, so a crash or a redelivered run
-- never sends twice. A customer who opted out since Send is skipped, never sent.
CREATE TABLE IF NOT EXISTS broadcasts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    title text NOT NULL,
    product_ids uuid[] NOT NULL,
    audience jsonb NOT NULL DEFAULT '{}'::jsonb,  -- the filters: category, days, size
    status text NOT NULL DEFAULT 'sending'
        CHECK (status IN ('sending', 'done', 'cancelled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz  -- done, or cancelled and its last queued messages delivered
);
CREATE INDEX IF NOT EXISTS broadcasts_business_idx ON broadcasts (business_id, created_at DESC);
CREATE INDEX IF NOT EXISTS broadcasts_unfinished_idx ON broadcasts (started_at)
    WHERE finished_at IS NULL;

CREATE TABLE IF NOT EXISTS broadcast_recipients (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    broadcast_id uuid NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    -- pending: waiting for room under the limit; queued: her messages were queued (claimed);
    -- skipped: opted out (or the broadcast was cancelled) before her turn, nothing sent.
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'queued', 'skipped')),
    message_id uuid REFERENCES messages(id) ON DELETE SET NULL,  -- her first card
    queued_at timestamptz,
    UNIQUE (broadcast_id, customer_phone)
);
CREATE INDEX IF NOT EXISTS broadcast_recipients_pending_idx
    ON broadcast_recipients (broadcast_id, id) WHERE state = 'pending';

ALTER TABLE broadcasts ENABLE ROW LEVEL SECURITY;
ALTER TABLE broadcasts FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON broadcasts;
CREATE POLICY tenant_isolation ON broadcasts
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON broadcasts TO duka_app;

ALTER TABLE broadcast_recipients ENABLE ROW LEVEL SECURITY;
ALTER TABLE broadcast_recipients FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON broadcast_recipients;
CREATE POLICY tenant_isolation ON broadcast_recipients
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON broadcast_recipients TO duka_app;

-- The job works across tenants: it learns only which broadcasts are unfinished.
CREATE OR REPLACE FUNCTION broadcasts_unfinished(max_rows integer)
    RETURNS TABLE (business_id uuid, broadcast_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT b.business_id, b.id FROM broadcasts b
          WHERE b.finished_at IS NULL ORDER BY b.started_at LIMIT max_rows $$;

REVOKE ALL ON FUNCTION broadcasts_unfinished(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION broadcasts_unfinished(integer) TO duka_app;
