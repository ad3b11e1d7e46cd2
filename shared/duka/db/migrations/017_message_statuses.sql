-- Delivery receipts: every status Twilio reports for a message we sent (its StatusCallback),
-- kept as history rather than one overwritten column, because callbacks arrive out of order:
-- a late "sent" must never hide "read". The best status is the highest `rank` (queued 0, sent 1,
-- delivered 2, undelivered/failed 3, read 4); see duka/store/message_status.py.
CREATE TABLE IF NOT EXISTS message_statuses (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    status text NOT NULL
        CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed', 'undelivered')),
    rank smallint NOT NULL CHECK (rank BETWEEN 0 AND 4),
    error_code integer,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS message_statuses_message_idx
    ON message_statuses (message_id, rank DESC, received_at DESC);

ALTER TABLE message_statuses ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_statuses FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON message_statuses;
CREATE POLICY tenant_isolation ON message_statuses
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT ON message_statuses TO duka_app;
