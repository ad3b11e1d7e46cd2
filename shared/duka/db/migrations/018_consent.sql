-- Consent: what a customer said about messages that are not direct replies (order and payment
-- notices, reminders, offers), with when and where it was said. A history, never updated or
-- deleted, because consent must be provable later: the latest event per customer is the state.
--   opt_out: STOP / ACHA / "sitaki jumbe"... nothing proactive is sent any more;
--   opt_in:  START / ANZA / "subscribe"... notices and marketing messages are welcome.
-- Keyed by phone like conversations (one chat per customer per business).
CREATE TABLE IF NOT EXISTS consent_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('opt_out', 'opt_in')),
    source text NOT NULL CHECK (source IN ('chat_keyword', 'dashboard', 'import')),
    message_id uuid REFERENCES messages(id) ON DELETE SET NULL,  -- the customer's keyword
    reply_id uuid REFERENCES messages(id) ON DELETE SET NULL,  -- our one confirmation
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS consent_events_customer_idx
    ON consent_events (business_id, customer_phone, created_at DESC, id DESC);

ALTER TABLE consent_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE consent_events FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON consent_events;
CREATE POLICY tenant_isolation ON consent_events
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT ON consent_events TO duka_app;
