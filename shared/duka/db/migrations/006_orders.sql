-- Payments: one row per STK push attempt (idempotent per customer turn), stock reserved per
-- product and size while a push is open, flags for payments that need the owner, and a trigger
-- that lets an order's status move only along the allowed transitions.
ALTER TABLE orders
    ADD COLUMN IF NOT EXISTS attempt integer NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS payment_gateway text,
    ADD COLUMN IF NOT EXISTS pay_phone text,
    ADD COLUMN IF NOT EXISTS expires_at timestamptz,
    ADD COLUMN IF NOT EXISTS paid_at timestamptz,
    ADD COLUMN IF NOT EXISTS failure_reason text,
    ADD COLUMN IF NOT EXISTS flagged boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS flag_reason text,
    -- The last payment outcome the customer was told about, e.g. 'paid:1' (told once).
    ADD COLUMN IF NOT EXISTS notified_state text,
    ADD COLUMN IF NOT EXISTS shipped_at timestamptz,
    ADD COLUMN IF NOT EXISTS delivered_at timestamptz;

-- A conversation waits on at most one payment at a time.
CREATE UNIQUE INDEX IF NOT EXISTS orders_one_pending_per_conversation
    ON orders (conversation_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS orders_pending_idx ON orders (expires_at) WHERE status = 'pending';

CREATE OR REPLACE FUNCTION orders_check_transition() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    retry boolean := OLD.status = 'failed' AND NEW.status = 'pending'
        AND NEW.attempt = OLD.attempt + 1;
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status
        AND NOT (OLD.status = 'pending' AND NEW.status IN ('paid', 'failed', 'cancelled', 'expired'))
        AND NOT retry THEN
        RAISE EXCEPTION 'order % cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.attempt IS DISTINCT FROM OLD.attempt AND NOT retry THEN
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
DROP TRIGGER IF EXISTS orders_transition ON orders;
CREATE TRIGGER orders_transition BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_check_transition();

-- One STK push per row. The idempotency key is the customer turn that asked for it, so a
-- retried turn finds its attempt instead of prompting the customer twice.
CREATE TABLE IF NOT EXISTS payment_attempts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    order_id uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    idempotency_key text NOT NULL,
    gateway text NOT NULL,
    pay_phone text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    status text NOT NULL DEFAULT 'sending'
        CHECK (status IN ('sending', 'pending', 'unknown', 'paid', 'failed', 'expired',
                          'flagged')),
    checkout_request_id text,
    mpesa_reference text,
    transaction_id text,
    amount_received numeric(12, 2),
    failure_reason text,
    result_code text,
    result_desc text,
    created_at timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz,
    UNIQUE (order_id, attempt),
    UNIQUE (business_id, idempotency_key)
);
CREATE UNIQUE INDEX IF NOT EXISTS payment_attempts_checkout_idx
    ON payment_attempts (gateway, checkout_request_id) WHERE checkout_request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS payment_attempts_mpesa_reference_idx
    ON payment_attempts (mpesa_reference) WHERE mpesa_reference IS NOT NULL;

-- Optional stock per size. A product without rows here is limited by products.stock alone;
-- with rows, a piece must be available in both.
CREATE TABLE IF NOT EXISTS product_stock (
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    product_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    size text NOT NULL,
    stock integer NOT NULL CHECK (stock >= 0),
    PRIMARY KEY (product_id, size)
);

-- Pieces taken off the shelf for an open payment: released on failure, cancel or expiry,
-- committed once paid. `size` is set when a product_stock row was decremented too.
CREATE TABLE IF NOT EXISTS stock_reservations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    order_id uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    product_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    size text,
    quantity integer NOT NULL CHECK (quantity > 0),
    state text NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'committed', 'released')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stock_reservations_open_idx
    ON stock_reservations (order_id) WHERE state = 'reserved';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['payment_attempts', 'product_stock', 'stock_reservations'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (business_id = app_business_id()) '
            'WITH CHECK (business_id = app_business_id())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO duka_app', t);
    END LOOP;
END
$$;

-- Callbacks arrive with no tenant: answer only "which business owns this payment reference"
-- (a checkout request id, an M-Pesa reference, or an order id).
CREATE OR REPLACE FUNCTION order_tenant_by_reference(ref text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    found uuid;
BEGIN
    SELECT business_id INTO found FROM payment_attempts WHERE checkout_request_id = ref LIMIT 1;
    IF found IS NULL THEN
        SELECT business_id INTO found FROM payment_attempts WHERE mpesa_reference = ref LIMIT 1;
    END IF;
    IF found IS NULL AND ref ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN
        SELECT business_id INTO found FROM orders WHERE id = ref::uuid;
    END IF;
    RETURN found;
END
$$;

-- The reconciler works across tenants: it learns only which orders are due for a look.
CREATE OR REPLACE FUNCTION payment_orders_due(query_after interval, max_rows integer)
    RETURNS TABLE (business_id uuid, order_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT o.business_id, o.id FROM orders o
          JOIN payment_attempts a ON a.order_id = o.id AND a.attempt = o.attempt
          WHERE o.status = 'pending' AND NOT o.flagged
            AND (a.created_at < now() - query_after OR o.expires_at <= now())
          ORDER BY a.created_at LIMIT max_rows $$;

REVOKE ALL ON FUNCTION order_tenant_by_reference(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION payment_orders_due(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION order_tenant_by_reference(text) TO duka_app;
GRANT EXECUTE ON FUNCTION payment_orders_due(interval, integer) TO duka_app;
