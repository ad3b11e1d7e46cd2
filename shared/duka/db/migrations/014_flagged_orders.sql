-- Flagged orders (a payment whose amount did not match, or that arrived for a closed attempt)
-- wait for the owner, who accepts the payment or cancels the order and releases its stock. The
-- decision and the amount M-Pesa reported are kept on the order. A flagged order no longer
-- counts as the conversation's open order, so the customer can check out a new cart meanwhile
-- (its stock stays held until the owner decides).
ALTER TABLE orders
    ADD COLUMN IF NOT EXISTS flag_resolution text
        CHECK (flag_resolution IN ('accepted', 'cancelled')),
    ADD COLUMN IF NOT EXISTS flag_resolved_at timestamptz,
    ADD COLUMN IF NOT EXISTS amount_received numeric(12, 2);

DROP INDEX IF EXISTS orders_one_pending_per_conversation;
CREATE UNIQUE INDEX IF NOT EXISTS orders_one_open_per_conversation
    ON orders (conversation_id) WHERE status = 'pending' AND NOT flagged;
