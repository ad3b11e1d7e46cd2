-- Till and Paybill payments (duka/orders/code_claims.py, duka/payments/daraja_c2b.py).
--
-- Every C2B confirmation Daraja sends for the shop's Till or Paybill goes into the ledger
-- (`payments`), matched to an order only when its account names an open order
-- ('c2b_account'); otherwise it waits, order_id NULL, for the customer who pastes its code
-- ('c2b'). A code the ledger has not seen is checked with Transaction Status
-- ('transaction_status'). The receipt stays unique per boutique, so a code is never counted
-- twice whichever path brought it first.
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_matched_by_check;
ALTER TABLE payments ADD CONSTRAINT payments_matched_by_check
    CHECK (matched_by IN ('stk_push', 'owner', 'c2b', 'c2b_account', 'transaction_status'));
-- The ledger stays append-only except for this: a C2B payment stored with no order is attached
-- to the order whose customer pasted its code (once: code_claims only attaches a row whose
-- order_id is NULL, under the order's row lock).
GRANT UPDATE (order_id, matched_by) ON payments TO duka_app;

-- Who pasted which M-Pesa code for which order, and what came of it. `checking` while a
-- Transaction Status query is out (its ids identify the result when it arrives); the rows also
-- count a customer's rejected codes per day, so codes cannot be guessed.
CREATE TABLE IF NOT EXISTS payment_claims (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
    order_id uuid REFERENCES orders(id) ON DELETE SET NULL,
    customer_phone text NOT NULL,
    receipt text NOT NULL,
    sms_amount numeric(12, 2),  -- the amount the pasted SMS states, if it was a whole SMS
    status text NOT NULL DEFAULT 'checking'
        CHECK (status IN ('checking', 'matched', 'rejected')),
    reason text,  -- why rejected: reused, other_shortcode, amount_mismatch, not_found, ...
    conversation_ref text,  -- Transaction Status ConversationID
    originator_ref text,  -- Transaction Status OriginatorConversationID
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz
);
CREATE INDEX IF NOT EXISTS payment_claims_customer_idx
    ON payment_claims (business_id, customer_phone, created_at);
CREATE INDEX IF NOT EXISTS payment_claims_checking_idx
    ON payment_claims (business_id, originator_ref) WHERE status = 'checking';

ALTER TABLE payment_claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_claims FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON payment_claims;
CREATE POLICY tenant_isolation ON payment_claims
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON payment_claims TO duka_app;

-- An order waiting for a Till/Paybill payment has a 'manual' attempt with no STK push to ask
-- about: the reconciler looks at it only when it expires (24 hours, code_claims.MANUAL_PAY_HOURS),
-- so such orders never crowd out the pushes due a status query.
CREATE OR REPLACE FUNCTION payment_orders_due(query_after interval, max_rows integer)
    RETURNS TABLE (business_id uuid, order_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT o.business_id, o.id FROM orders o
          JOIN payment_attempts a ON a.order_id = o.id AND a.attempt = o.attempt
          WHERE o.status = 'pending' AND NOT o.flagged
            AND ((a.gateway <> 'manual' AND a.created_at < now() - query_after)
                 OR o.expires_at <= now())
          ORDER BY a.created_at LIMIT max_rows $$;
REVOKE ALL ON FUNCTION payment_orders_due(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION payment_orders_due(interval, integer) TO duka_app;
