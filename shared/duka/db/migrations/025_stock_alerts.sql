-- Back-in-stock alerts: a customer who asked for a sold-out product (and size) said "tell me
-- when it's back". The `stock_alerts` job (duka/orders/stock_alert_job.py) sends one template
-- when that size has stock again, claiming the row (sent_at) in the transaction that queues the
-- message; the alert is then closed. An opt-out closes it unsent when its size is back; an
-- archived product sends nothing while archived (its alert waits, shown on the Restock list).
CREATE TABLE IF NOT EXISTS stock_alerts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    product_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    size text,  -- NULL: a one-size product, or any size of it
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    closed_at timestamptz
);
-- One open alert per customer, product and size: asking twice subscribes once.
CREATE UNIQUE INDEX IF NOT EXISTS stock_alerts_one_open
    ON stock_alerts (business_id, customer_phone, product_id, COALESCE(size, ''))
    WHERE closed_at IS NULL;
CREATE INDEX IF NOT EXISTS stock_alerts_open_product_idx
    ON stock_alerts (product_id) WHERE closed_at IS NULL;

ALTER TABLE stock_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE stock_alerts FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON stock_alerts;
CREATE POLICY tenant_isolation ON stock_alerts
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON stock_alerts TO duka_app;

-- The job works across tenants: it learns only which open alerts have stock again (the product
-- is active, has stock, and the size asked for, when it keeps stock per size, has some).
CREATE OR REPLACE FUNCTION stock_alerts_due(max_rows integer)
    RETURNS TABLE (business_id uuid, alert_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT a.business_id, a.id FROM stock_alerts a
          JOIN products p ON p.id = a.product_id
          WHERE a.closed_at IS NULL AND a.sent_at IS NULL AND p.active AND p.stock > 0
            AND (NOT EXISTS (SELECT 1 FROM product_stock s WHERE s.product_id = p.id)
                 OR EXISTS (SELECT 1 FROM product_stock s WHERE s.product_id = p.id
                            AND s.stock > 0
                            AND (a.size IS NULL OR s.size = upper(a.size))))
          ORDER BY a.created_at LIMIT max_rows $$;

REVOKE ALL ON FUNCTION stock_alerts_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stock_alerts_due(integer) TO duka_app;
