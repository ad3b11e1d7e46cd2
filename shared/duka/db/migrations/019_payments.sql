-- The payments ledger: every M-Pesa payment received, one row per receipt, and the order it was
-- matched to. An order is paid when the payments matched to it cover its total; partial and
-- over-payments stay visible to the owner. Written in the same transaction that applies the
-- gateway's result (duka/orders/callbacks.py), so an order is never paid without its row.
CREATE TABLE IF NOT EXISTS payments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    order_id uuid REFERENCES orders(id) ON DELETE SET NULL,  -- NULL: money with no order
    attempt_id uuid REFERENCES payment_attempts(id) ON DELETE SET NULL,
    gateway text NOT NULL,
    -- The shop's Till or Paybill when the gateway reports it (C2B); an STK result does not.
    shortcode text,
    receipt text NOT NULL,  -- the M-Pesa receipt code, e.g. QFT4ABCDE1
    amount numeric(12, 2) NOT NULL CHECK (amount > 0),
    payer_phone_masked text,  -- duka.phone.mask_phone: +254******678
    matched_by text NOT NULL CHECK (matched_by IN ('stk_push')),
    paid_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- M-Pesa receipts are unique network-wide, so unique per boutique also means unique per
    -- shortcode; a receipt delivered twice (callback again, callback and status query) is one row.
    UNIQUE (business_id, receipt),
    UNIQUE (attempt_id)  -- one STK push is paid at most once
);
CREATE INDEX IF NOT EXISTS payments_order_idx ON payments (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_day_idx ON payments (business_id, paid_at);

ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON payments;
CREATE POLICY tenant_isolation ON payments
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
-- A ledger: rows are added, never edited or removed by the application.
GRANT SELECT, INSERT ON payments TO duka_app;
