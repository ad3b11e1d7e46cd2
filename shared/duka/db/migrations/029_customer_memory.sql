-- Remember the customer (issue 17, part 4).
-- A size she chose in chat for an item she put in her cart: with her paid orders it makes her
-- usual size per garment type (duka/orchestrator/customer_memory.py), offered first when the
-- agent asks "which size?". Append-only: each choice is one row, the newest wins a tie.
CREATE TABLE IF NOT EXISTS size_choices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    category text NOT NULL,  -- products.category: the garment type
    size text NOT NULL,
    product_id uuid REFERENCES products(id) ON DELETE SET NULL,
    chosen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS size_choices_customer_idx
    ON size_choices (business_id, customer_phone, category);

ALTER TABLE size_choices ENABLE ROW LEVEL SECURITY;
ALTER TABLE size_choices FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON size_choices;
CREATE POLICY tenant_isolation ON size_choices
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT ON size_choices TO duka_app;

-- "You may also like" after payment (duka/orders/suggestions.py): claimed once per order in the
-- transaction that queues it, so a redelivered payment event never suggests twice.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS suggested_at timestamptz;
