-- The funnel page (duka/dashboard/funnel_data.py) reads one boutique's chats over a date range.
-- These partial indexes carry the conversation, so each step is an index-only range scan even
-- at 100,000 messages (bench/funnel.py): who wrote, which replies showed products (the turn
-- record's 'shown') or left a cart ('cart_lines'), and where the owner wrote.
CREATE INDEX IF NOT EXISTS messages_funnel_wrote_idx
    ON messages (business_id, created_at) INCLUDE (conversation_id) WHERE role = 'customer';
CREATE INDEX IF NOT EXISTS messages_funnel_shown_idx
    ON messages (business_id, created_at) INCLUDE (conversation_id)
    WHERE role = 'agent' AND jsonb_array_length(COALESCE(metadata -> 'shown', '[]')) > 0;
CREATE INDEX IF NOT EXISTS messages_funnel_cart_idx
    ON messages (business_id, created_at) INCLUDE (conversation_id)
    WHERE role = 'agent' AND COALESCE((metadata ->> 'cart_lines')::int, 0) > 0;
CREATE INDEX IF NOT EXISTS messages_funnel_owner_idx
    ON messages (business_id, created_at) INCLUDE (conversation_id) WHERE role = 'owner';
CREATE INDEX IF NOT EXISTS payment_attempts_business_created_idx
    ON payment_attempts (business_id, created_at);
-- Time to payment: each paid order's visit began at her first message since her previous
-- paid order (two index probes per paid order).
CREATE INDEX IF NOT EXISTS orders_conversation_paid_idx
    ON orders (conversation_id, paid_at) WHERE status = 'paid';
CREATE INDEX IF NOT EXISTS messages_customer_conversation_idx
    ON messages (conversation_id, created_at) WHERE role = 'customer';
