-- Staff accounts (issue 18, part 4): an owner lets a helper sign in by phone. Staff chat with
-- customers and fulfil orders; the dashboard refuses them every other page (duka/dashboard/roles.py).

-- Everyone granted so far is an owner; the Settings → Staff page adds staff.
ALTER TABLE business_owners ADD COLUMN IF NOT EXISTS role text NOT NULL DEFAULT 'owner';
ALTER TABLE business_owners DROP CONSTRAINT IF EXISTS business_owners_role_check;
ALTER TABLE business_owners ADD CONSTRAINT business_owners_role_check
    CHECK (role IN ('owner', 'staff'));
-- The owner's phone who gave the access (NULL for owners granted with `duka owner add`);
-- created_at says when.
ALTER TABLE business_owners ADD COLUMN IF NOT EXISTS invited_by text;

-- The audit log says in which role someone acted, as it was at that moment: a later removal
-- does not rewrite history. Filled on insert from business_owners (same tenant, under RLS), so
-- every writer of the log gets it without passing it.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS actor_role text;
UPDATE audit_log SET actor_role = 'owner' WHERE actor_role IS NULL;  -- only owners existed

CREATE OR REPLACE FUNCTION audit_log_actor_role() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public
    AS $$
BEGIN
    IF NEW.actor_role IS NULL THEN
        NEW.actor_role := (SELECT role FROM business_owners
                           WHERE business_id = NEW.business_id AND phone = NEW.actor_phone);
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS audit_log_actor_role ON audit_log;
CREATE TRIGGER audit_log_actor_role BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_actor_role();
