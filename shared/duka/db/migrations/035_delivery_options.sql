-- Delivery and pickup (issue 18, part 1): the boutique's pickup points, the delivery fees the
-- owner sets for places no zone covers, and the courier and tracking given at dispatch.
-- Delivery zones (areas, fee, expected days) are a handful of rows kept with the other delivery
-- settings in businesses.settings->'delivery'->'zones' (duka/delivery/zones.py), which reads a
-- boutique's older settings->'delivery'->'fees' as zones until the owner saves new ones.

-- Where a customer can collect an order (a shop, an agent, a parcel locker); imported from CSV
-- or added by hand (duka/delivery/pickup_points.py).
CREATE TABLE IF NOT EXISTS pickup_points (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    area text NOT NULL CHECK (length(area) BETWEEN 1 AND 60),
    directions text NOT NULL DEFAULT '' CHECK (length(directions) <= 300),
    hours text NOT NULL DEFAULT '' CHECK (length(hours) <= 120),
    fee_kes integer NOT NULL CHECK (fee_kes >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS pickup_points_name_idx
    ON pickup_points (business_id, lower(name));

-- A delivery to a place no zone covers: the customer is told the shop will confirm the fee, the
-- owner sets it (fee_kes, set_at) and the customer gets the total (duka/delivery/quotes.py).
CREATE TABLE IF NOT EXISTS delivery_quotes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    address text NOT NULL,
    area text,
    fee_kes integer CHECK (fee_kes >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    set_at timestamptz
);
CREATE INDEX IF NOT EXISTS delivery_quotes_open_idx
    ON delivery_quotes (business_id, created_at) WHERE fee_kes IS NULL;

ALTER TABLE orders
    ADD COLUMN IF NOT EXISTS courier text,
    ADD COLUMN IF NOT EXISTS tracking text;

ALTER TABLE pickup_points ENABLE ROW LEVEL SECURITY;
ALTER TABLE pickup_points FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON pickup_points;
CREATE POLICY tenant_isolation ON pickup_points
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON pickup_points TO duka_app;

ALTER TABLE delivery_quotes ENABLE ROW LEVEL SECURITY;
ALTER TABLE delivery_quotes FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON delivery_quotes;
CREATE POLICY tenant_isolation ON delivery_quotes
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE ON delivery_quotes TO duka_app;
