-- Inbox tools (issue 18, part 4): saved replies for the composer, tags and private notes on
-- customers, and an audit log of what was done from the dashboard.

-- Short replies the owner keeps ("/hours" -> "We are open 9-7, Mon-Sat"); typing "/" in the
-- chat composer offers them (duka/dashboard/saved_replies.py).
CREATE TABLE IF NOT EXISTS saved_replies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    shortcut text NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,30}$'),  -- without the "/"
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_id, shortcut)
);

-- Tags the owner puts on a customer ("VIP", "wholesale"); a customer is a phone per boutique.
CREATE TABLE IF NOT EXISTS customer_tags (
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    tag text NOT NULL CHECK (length(tag) BETWEEN 1 AND 30),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, customer_phone, tag)
);
CREATE INDEX IF NOT EXISTS customer_tags_tag_idx ON customer_tags (business_id, tag);

-- The owner's private notes on a customer: shown on the customer page only, never sent.
CREATE TABLE IF NOT EXISTS customer_notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    author_phone text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS customer_notes_customer_idx
    ON customer_notes (business_id, customer_phone, created_at DESC);

-- Who did what from the dashboard (duka/dashboard/audit.py). Append-only: the application may
-- add and read rows, never change or remove them.
CREATE TABLE IF NOT EXISTS audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    actor_phone text NOT NULL,
    action text NOT NULL,
    subject_type text NOT NULL,
    subject_id text,
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_log_business_idx ON audit_log (business_id, id DESC);

ALTER TABLE saved_replies ENABLE ROW LEVEL SECURITY;
ALTER TABLE saved_replies FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON saved_replies;
CREATE POLICY tenant_isolation ON saved_replies
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON saved_replies TO duka_app;

ALTER TABLE customer_tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_tags FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON customer_tags;
CREATE POLICY tenant_isolation ON customer_tags
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, DELETE ON customer_tags TO duka_app;

ALTER TABLE customer_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_notes FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON customer_notes;
CREATE POLICY tenant_isolation ON customer_notes
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT, DELETE ON customer_notes TO duka_app;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON audit_log;
CREATE POLICY tenant_isolation ON audit_log
    USING (business_id = app_business_id()) WITH CHECK (business_id = app_business_id());
GRANT SELECT, INSERT ON audit_log TO duka_app;
