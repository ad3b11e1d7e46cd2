-- Transactional outbox: an event commits with the row it describes; a relay publishes it.
CREATE TABLE IF NOT EXISTS outbox (
    id bigserial PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    topic text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON outbox;
CREATE POLICY tenant_isolation ON outbox USING (business_id = app_business_id())
    WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON outbox TO duka_app;
GRANT USAGE ON SEQUENCE outbox_id_seq TO duka_app;

-- The relay and the inbound sweep work across tenants, so they read through narrow definer
-- functions that return only what must be republished (never message content).
CREATE OR REPLACE FUNCTION outbox_pending(max_rows integer)
    RETURNS TABLE (id bigint, business_id uuid, topic text, payload jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id, business_id, topic, payload FROM outbox WHERE published_at IS NULL
          ORDER BY id LIMIT max_rows $$;

CREATE OR REPLACE FUNCTION outbox_mark_published(ids bigint[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$ UPDATE outbox SET published_at = now() WHERE id = ANY(ids) AND published_at IS NULL $$;

-- Customer messages still unanswered after a while in conversations the agent handles: the
-- publish after storing may have failed, so the sweep publishes them again (processing is
-- idempotent, so a message that was merely slow is harmless to republish).
CREATE OR REPLACE FUNCTION unanswered_inbound(older_than interval, max_rows integer)
    RETURNS TABLE (business_id uuid, conversation_id uuid, message_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT m.business_id, m.conversation_id, m.id FROM messages m
          JOIN conversations c ON c.id = m.conversation_id
          WHERE m.role = 'customer' AND m.answered_by IS NULL AND c.status = 'active'
            AND m.created_at < now() - older_than AND m.created_at > now() - interval '1 day'
          ORDER BY m.created_at LIMIT max_rows $$;

REVOKE ALL ON FUNCTION outbox_pending(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION outbox_mark_published(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION unanswered_inbound(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_pending(integer) TO duka_app;
GRANT EXECUTE ON FUNCTION outbox_mark_published(bigint[]) TO duka_app;
GRANT EXECUTE ON FUNCTION unanswered_inbound(interval, integer) TO duka_app;
