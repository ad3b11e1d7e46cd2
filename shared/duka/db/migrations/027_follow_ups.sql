-- Follow-ups: one message to a customer who went quiet with a cart (kind 'cart': a reminder with
-- Pay / Edit cart) or after a failed, cancelled or expired M-Pesa prompt (kind 'prompt': an
-- offer to try again). The `follow_ups` job (duka/orders/follow_up_job.py) claims a row here in
-- the transaction that queues the message, so the unique constraints make a second send
-- impossible: at most 2 per cart (seq 1 and 2) and one per prompt (order_id).
--
-- A cart has no id of its own (it lives in conversations.metadata->'cart'), so it is named by
-- the order that emptied the chat's previous cart (paid, or a layaway deposit), or 'first'.
CREATE TABLE IF NOT EXISTS follow_ups (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('cart', 'prompt')),
    cart_key text NOT NULL,
    seq smallint NOT NULL CHECK (seq IN (1, 2)),
    order_id uuid REFERENCES orders(id) ON DELETE CASCADE,  -- kind 'prompt': the ended order
    message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'prompt') = (order_id IS NOT NULL)),
    UNIQUE (conversation_id, cart_key, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS follow_ups_one_per_prompt
    ON follow_ups (order_id) WHERE order_id IS NOT NULL;
-- The rules read each chat's newest order.
CREATE INDEX IF NOT EXISTS orders_conversation_created_idx
    ON orders (conversation_id, created_at DESC);

ALTER TABLE follow_ups ENABLE ROW LEVEL SECURITY;
ALTER TABLE follow_ups FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON follow_ups;
CREATE POLICY tenant_isolation ON follow_ups
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON follow_ups TO duka_app;

-- How many lines the chat's cart has (0 when it has none, or the key is not a list).
CREATE OR REPLACE FUNCTION follow_up_cart_size(metadata jsonb) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN jsonb_typeof(metadata -> 'cart' -> 'items') = 'array'
                      THEN jsonb_array_length(metadata -> 'cart' -> 'items') ELSE 0 END $$;

-- The chat's current cart: the order that emptied its last one, or 'first'.
CREATE OR REPLACE FUNCTION follow_up_cart_key(conv uuid) RETURNS text
    LANGUAGE sql STABLE SET search_path = public
    AS $$ SELECT COALESCE((SELECT o.id::text FROM orders o WHERE o.conversation_id = conv
                             AND (o.paid_at IS NOT NULL OR o.status IN ('layaway', 'lapsed'))
                           ORDER BY o.created_at DESC, o.id LIMIT 1), 'first') $$;

-- Which follow-up (if any) the chat is due now: every rule in one place, run by the job both
-- to list candidates across tenants and again under the conversation's lock in its tenant.
--   not handed over to the owner, the cart has items, the customer is not opted out;
--   at most 2 per cart, 20 hours apart, and one per quiet spell (none since she last wrote);
--   'cart': no order since the cart began; 'prompt': the latest order ended unpaid (failed,
--   expired, or cancelled by M-Pesa, not the owner) and is the one a "Try again" retries;
--   the kind is on and its delay has passed (settings.follow_ups.<kind>: on, delay_minutes);
--   inside the 24-hour window with an hour to spare, or the customer opted in to marketing.
CREATE OR REPLACE FUNCTION follow_up_kind(conv uuid) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = public
    AS $$
DECLARE
    chat record;
    latest record;
    v_key text;
    v_count integer;
    v_last timestamptz;
    v_kind text;
    v_quiet_since timestamptz;
    v_consent text;
BEGIN
    SELECT c.*, b.settings -> 'follow_ups' AS rules INTO chat
        FROM conversations c JOIN businesses b ON b.id = c.business_id WHERE c.id = conv;
    IF NOT FOUND OR chat.status <> 'active' OR chat.last_customer_message_at IS NULL
       OR follow_up_cart_size(chat.metadata) = 0 THEN
        RETURN NULL;
    END IF;
    v_key := follow_up_cart_key(conv);
    SELECT count(*), max(f.sent_at) INTO v_count, v_last
        FROM follow_ups f WHERE f.conversation_id = conv AND f.cart_key = v_key;
    IF v_count >= 2 OR v_last > now() - interval '20 hours'
       OR EXISTS (SELECT 1 FROM follow_ups f WHERE f.conversation_id = conv
                  AND f.sent_at >= chat.last_customer_message_at) THEN
        RETURN NULL;
    END IF;
    SELECT o.id, o.status, o.paid_at, o.flagged, o.failure_reason, o.updated_at INTO latest
        FROM orders o WHERE o.conversation_id = conv ORDER BY o.created_at DESC, o.id LIMIT 1;
    IF NOT FOUND OR latest.id::text = v_key THEN
        v_kind := 'cart';
        v_quiet_since := chat.last_customer_message_at;
    ELSIF latest.status IN ('failed', 'expired', 'cancelled') AND latest.paid_at IS NULL
          AND NOT latest.flagged
          AND latest.failure_reason IS DISTINCT FROM 'cancelled_by_owner'
          AND chat.metadata ->> 'order_id' = latest.id::text
          AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.order_id = latest.id) THEN
        v_kind := 'prompt';
        v_quiet_since := greatest(chat.last_customer_message_at, latest.updated_at);
    ELSE
        RETURN NULL;
    END IF;
    IF COALESCE((chat.rules -> v_kind ->> 'on')::boolean, true) IS NOT TRUE
       OR v_quiet_since > now() - make_interval(mins => COALESCE(
              (chat.rules -> v_kind ->> 'delay_minutes')::integer,
              CASE v_kind WHEN 'cart' THEN 60 ELSE 30 END)) THEN
        RETURN NULL;
    END IF;
    SELECT e.kind INTO v_consent FROM consent_events e
        WHERE e.business_id = chat.business_id AND e.customer_phone = chat.customer_phone
        ORDER BY e.created_at DESC, e.id DESC LIMIT 1;
    IF v_consent = 'opt_out'
       OR (chat.last_customer_message_at < now() - interval '23 hours'
           AND v_consent IS DISTINCT FROM 'opt_in') THEN
        RETURN NULL;
    END IF;
    RETURN v_kind;
END $$;

GRANT EXECUTE ON FUNCTION follow_up_cart_size(jsonb) TO duka_app;
GRANT EXECUTE ON FUNCTION follow_up_cart_key(uuid) TO duka_app;
GRANT EXECUTE ON FUNCTION follow_up_kind(uuid) TO duka_app;

-- The job works across tenants: it learns only which chats are due a follow-up. Carts quiet for
-- over 30 days are not looked at again.
CREATE OR REPLACE FUNCTION follow_ups_due(max_rows integer)
    RETURNS TABLE (business_id uuid, conversation_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT c.business_id, c.id FROM conversations c
          WHERE c.status = 'active'
            AND c.last_customer_message_at > now() - interval '30 days'
            AND c.last_customer_message_at < now() - interval '1 minute'
            AND follow_up_cart_size(c.metadata) > 0
            AND follow_up_kind(c.id) IS NOT NULL
          ORDER BY c.last_customer_message_at LIMIT max_rows $$;

REVOKE ALL ON FUNCTION follow_ups_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION follow_ups_due(integer) TO duka_app;
