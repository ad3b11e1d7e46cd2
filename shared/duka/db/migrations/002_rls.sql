-- Row Level Security: the application role sees only the rows of the business set with
-- set_config('app.business_id', ..., true) in the current transaction; with none set, nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'duka_app') THEN
        CREATE ROLE duka_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION app_business_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.business_id', true), '')::uuid $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customers', 'conversations', 'messages', 'products', 'orders',
                             'order_items', 'agent_memories'] LOOP
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

ALTER TABLE businesses ENABLE ROW LEVEL SECURITY;
ALTER TABLE businesses FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON businesses;
CREATE POLICY tenant_isolation ON businesses USING (id = app_business_id())
    WITH CHECK (id = app_business_id());
GRANT SELECT, UPDATE ON businesses TO duka_app;

-- The webhook must find the tenant before it can set it: a narrow definer function that
-- answers only "which business owns this WhatsApp number".
CREATE OR REPLACE FUNCTION business_id_for_whatsapp(number text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM businesses WHERE whatsapp_number = number $$;
REVOKE ALL ON FUNCTION business_id_for_whatsapp(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION business_id_for_whatsapp(text) TO duka_app;
GRANT EXECUTE ON FUNCTION app_business_id() TO duka_app;
GRANT USAGE ON SCHEMA public TO duka_app;
