-- Twilio Content resources this deployment registered, by friendly name per Twilio account:
-- the WhatsApp templates (`duka whatsapp templates sync`, or created at their first send) and
-- the list pickers / quick replies created on demand. A platform table, not a tenant's: every
-- boutique sends the same templates, and a content SID is no secret. The application role
-- reads it and records rows only through the definer function below.

CREATE TABLE IF NOT EXISTS whatsapp_contents (
    account_sid text NOT NULL,
    friendly_name text NOT NULL,
    content_sid text NOT NULL CHECK (content_sid ~ '^HX[0-9a-fA-F]{32}$'),
    kind text NOT NULL CHECK (kind IN ('template', 'interactive')),
    -- SHA-256 of the definition registered, so a template whose wording changed is re-synced
    digest text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_sid, friendly_name)
);

CREATE OR REPLACE FUNCTION whatsapp_content_record(
    account text, name text, sid text, content_kind text, definition_digest text
) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$
        INSERT INTO whatsapp_contents (account_sid, friendly_name, content_sid, kind, digest)
        VALUES (account, name, sid, content_kind, definition_digest)
        ON CONFLICT (account_sid, friendly_name) DO UPDATE
            SET content_sid = EXCLUDED.content_sid, kind = EXCLUDED.kind,
                digest = EXCLUDED.digest, updated_at = now()
    $$;

DO $$
BEGIN
    EXECUTE 'REVOKE ALL ON FUNCTION whatsapp_content_record(text, text, text, text, text) '
        'FROM PUBLIC';
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        EXECUTE 'REVOKE ALL ON FUNCTION whatsapp_content_record(text, text, text, text, text) '
            'FROM anon';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        EXECUTE 'REVOKE ALL ON FUNCTION whatsapp_content_record(text, text, text, text, text) '
            'FROM authenticated';
    END IF;
END
$$;
-- Row security lets the application role (and nobody else, whatever default privileges a host
-- grants) read every row; its owner, the definer function, writes.
ALTER TABLE whatsapp_contents ENABLE ROW LEVEL SECURITY;
ALTER TABLE whatsapp_contents FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS app_reads ON whatsapp_contents;
CREATE POLICY app_reads ON whatsapp_contents FOR SELECT TO duka_app USING (true);
REVOKE ALL ON whatsapp_contents FROM PUBLIC;
GRANT SELECT ON whatsapp_contents TO duka_app;
GRANT EXECUTE ON FUNCTION whatsapp_content_record(text, text, text, text, text) TO duka_app;
