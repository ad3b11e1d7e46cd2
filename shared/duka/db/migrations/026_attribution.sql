-- Attribution: what brought each paid order. A "touch" is recorded when something other than
-- the customer's own chat reaches her: a follow-up, a back-in-stock alert, a broadcast, or the
-- owner taking the chat over. When an order is paid (duka/orders/settlement.py) its source is the
-- kind of her newest touch in the 72 hours before payment, else 'organic' (last touch wins).
CREATE TABLE IF NOT EXISTS sales_touches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    kind text NOT NULL
        CHECK (kind IN ('follow_up', 'back_in_stock', 'broadcast', 'owner_takeover')),
    ref text,  -- what touched her: the follow-up, alert or broadcast id
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sales_touches_customer_idx
    ON sales_touches (business_id, customer_phone, created_at DESC);

ALTER TABLE sales_touches ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_touches FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON sales_touches;
CREATE POLICY tenant_isolation ON sales_touches
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT ON sales_touches TO duka_app;

ALTER TABLE orders
    ADD COLUMN IF NOT EXISTS source text,
    ADD COLUMN IF NOT EXISTS source_ref text;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_source_check;
ALTER TABLE orders ADD CONSTRAINT orders_source_check CHECK (source IS NULL OR source IN
    ('organic', 'follow_up', 'back_in_stock', 'broadcast', 'owner_takeover'));
-- Revenue by source over a date range (the overview) reads paid orders by payment time.
CREATE INDEX IF NOT EXISTS orders_paid_source_idx
    ON orders (business_id, paid_at) WHERE status = 'paid';
