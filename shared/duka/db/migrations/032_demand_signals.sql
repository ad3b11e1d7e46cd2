-- Demand the shop doesn't stock: one row per customer search or photo that found nothing
-- ('none') or only weak matches ('weak'), written in the turn's transaction by
-- duka/demand/signals.py. The demand page (duka/dashboard/demand.py) groups them into topics by
-- garment, colour, size and price band. `words` is the customer's message, trimmed, with any
-- phone number blanked; no phone number is stored here.
CREATE TABLE IF NOT EXISTS demand_signals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
    kind text NOT NULL CHECK (kind IN ('search', 'photo')),
    garment text,
    colour text,
    size text,
    max_price integer CHECK (max_price IS NULL OR max_price > 0),
    price_band text CHECK (price_band IN ('under-1k', '1-2k', '2-3k', '3-5k', '5k+')),
    words text NOT NULL DEFAULT '' CHECK (length(words) <= 300),
    outcome text NOT NULL CHECK (outcome IN ('none', 'weak')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS demand_signals_business_created_idx
    ON demand_signals (business_id, created_at);

ALTER TABLE demand_signals ENABLE ROW LEVEL SECURITY;
ALTER TABLE demand_signals FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON demand_signals;
CREATE POLICY tenant_isolation ON demand_signals
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, DELETE ON demand_signals TO duka_app;
