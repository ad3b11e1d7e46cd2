-- Refunds (duka/orders/refunds.py): money the owner gives back on an order, one row per M-Pesa
-- payment it comes out of. A Daraja receipt is reversed through the Reversal API ('reversal':
-- pending until M-Pesa's result arrives, then done or failed); any other payment is refunded
-- by the owner by hand ('by_hand': done when recorded). Pending and done refunds never add up
-- to more than the order received, nor a payment's refunds to more than that payment: checked
-- under the order's row lock. A failed refund counts for nothing.
CREATE TABLE IF NOT EXISTS refunds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    order_id uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    payment_id uuid NOT NULL REFERENCES payments(id),
    amount numeric(12, 2) NOT NULL CHECK (amount > 0),
    method text NOT NULL CHECK (method IN ('reversal', 'by_hand')),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    reason text,
    -- Daraja's ids for the reversal request, and what its result (or queue timeout) said.
    originator_conversation_id text,
    conversation_id text,
    result_code text,
    result_desc text,
    reversal_receipt text,  -- M-Pesa's transaction id of the reversal itself
    requested_by text NOT NULL,  -- the owner's phone
    requested_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CHECK ((status = 'pending') = (completed_at IS NULL))
);
CREATE INDEX IF NOT EXISTS refunds_order_idx ON refunds (order_id);
CREATE INDEX IF NOT EXISTS refunds_payment_idx ON refunds (payment_id);
CREATE UNIQUE INDEX IF NOT EXISTS refunds_conversation_idx
    ON refunds (business_id, conversation_id) WHERE conversation_id IS NOT NULL;

ALTER TABLE refunds ENABLE ROW LEVEL SECURITY;
ALTER TABLE refunds FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON refunds;
CREATE POLICY tenant_isolation ON refunds
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
-- A refund's amount and payment never change; only its progress is written.
GRANT SELECT, INSERT ON refunds TO duka_app;
GRANT UPDATE (status, originator_conversation_id, conversation_id, result_code, result_desc,
    reversal_receipt, completed_at) ON refunds TO duka_app;

-- The owner said the order's goods came back: their stock went back on the shelf, once per
-- order (the primary key), whatever the refunds.
CREATE TABLE IF NOT EXISTS returned_goods (
    order_id uuid PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    pieces integer NOT NULL CHECK (pieces >= 0),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE returned_goods ENABLE ROW LEVEL SECURITY;
ALTER TABLE returned_goods FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON returned_goods;
CREATE POLICY tenant_isolation ON returned_goods
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT ON returned_goods TO duka_app;
