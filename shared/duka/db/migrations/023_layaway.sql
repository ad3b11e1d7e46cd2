-- Lipa pole pole (layaway): the shop's terms live in businesses.settings->'layaway'
-- ({enabled, min_deposit_percent, term_days, reminder_every_days, deposit_policy}); a product
-- may be left out of it; an order on a plan holds its stock from the deposit until its term
-- ends, takes one M-Pesa prompt per instalment, and is paid when its payments cover its total.
ALTER TABLE products
    ADD COLUMN IF NOT EXISTS layaway boolean NOT NULL DEFAULT true;

ALTER TABLE orders
    -- The least the first payment had to be, and the end of the term (set: the order is a plan).
    ADD COLUMN IF NOT EXISTS layaway_deposit numeric(12, 2),
    ADD COLUMN IF NOT EXISTS layaway_due_at timestamptz,
    ADD COLUMN IF NOT EXISTS layaway_reminder_days integer,
    ADD COLUMN IF NOT EXISTS layaway_next_reminder_at timestamptz,
    ADD COLUMN IF NOT EXISTS layaway_lapsed_at timestamptz,
    -- The owner's decision on a lapsed plan's deposit, per the shop's stated policy.
    ADD COLUMN IF NOT EXISTS layaway_decision text,
    ADD COLUMN IF NOT EXISTS layaway_decided_at timestamptz;

ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_layaway_decision_check;
ALTER TABLE orders ADD CONSTRAINT orders_layaway_decision_check
    CHECK (layaway_decision IN ('keep', 'refund', 'store_credit'));

-- 'layaway': a deposit is in, the balance is not; 'lapsed': the term ended unpaid.
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'paid', 'failed', 'cancelled', 'expired', 'layaway', 'lapsed'));

CREATE INDEX IF NOT EXISTS orders_layaway_due_idx
    ON orders (layaway_due_at) WHERE status = 'layaway';

-- As 006, plus: a pending plan becomes 'layaway' once its deposit is in; a plan is paid or
-- lapses; each instalment on a plan is a new payment attempt of the same order.
CREATE OR REPLACE FUNCTION orders_check_transition() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    retry boolean := OLD.status = 'failed' AND NEW.status = 'pending'
        AND NEW.attempt = OLD.attempt + 1;
    instalment boolean := OLD.status = 'layaway' AND NEW.status = 'layaway'
        AND NEW.attempt = OLD.attempt + 1;
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status
        AND NOT (OLD.status = 'pending'
                 AND NEW.status IN ('paid', 'failed', 'cancelled', 'expired', 'layaway'))
        AND NOT (OLD.status = 'layaway' AND NEW.status IN ('paid', 'lapsed'))
        AND NOT retry THEN
        RAISE EXCEPTION 'order % cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.attempt IS DISTINCT FROM OLD.attempt AND NOT retry AND NOT instalment THEN
        RAISE EXCEPTION 'order % starts a new payment attempt only when retrying a failed one',
            OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.fulfillment_status IS DISTINCT FROM OLD.fulfillment_status AND NOT (
        NEW.status = 'paid' AND (
            (OLD.fulfillment_status = 'pending' AND NEW.fulfillment_status = 'shipped')
            OR (OLD.fulfillment_status = 'shipped' AND NEW.fulfillment_status = 'delivered')))
    THEN
        RAISE EXCEPTION 'order % (payment %) cannot be marked % after %', OLD.id, NEW.status,
            NEW.fulfillment_status, OLD.fulfillment_status USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- The layaway job works across tenants: it learns only which plans are due a reminder or
-- have reached the end of their term.
CREATE OR REPLACE FUNCTION layaway_orders_due(max_rows integer)
    RETURNS TABLE (business_id uuid, order_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT o.business_id, o.id FROM orders o
          WHERE o.status = 'layaway'
            AND (o.layaway_due_at <= now() OR o.layaway_next_reminder_at <= now())
          ORDER BY LEAST(o.layaway_due_at, o.layaway_next_reminder_at) LIMIT max_rows $$;

REVOKE ALL ON FUNCTION layaway_orders_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION layaway_orders_due(integer) TO duka_app;

-- An instalment's prompt whose callback has not come: the layaway job asks the gateway, as the
-- reconciler does for pending orders (whose listing, payment_orders_due, skips plans).
CREATE OR REPLACE FUNCTION layaway_prompts_due(query_after interval, max_rows integer)
    RETURNS TABLE (business_id uuid, order_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT o.business_id, o.id FROM orders o
          JOIN payment_attempts a ON a.order_id = o.id AND a.attempt = o.attempt
          WHERE o.status = 'layaway' AND NOT o.flagged
            AND a.status IN ('sending', 'pending', 'unknown')
            AND a.created_at < now() - query_after
          ORDER BY a.created_at LIMIT max_rows $$;

REVOKE ALL ON FUNCTION layaway_prompts_due(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION layaway_prompts_due(interval, integer) TO duka_app;
