-- Shop knowledge the owner gives in their own words: question/answer pairs the agent answers
-- from, and the customer questions the agent could not answer and left to the owner.
-- Both are tenant tables like the others (RLS on business_id); a table rather than a key in
-- businesses.settings because the owner edits and deletes single pairs and answers single
-- questions, each by id, without rewriting (and racing on) the whole settings document.

CREATE TABLE IF NOT EXISTS shop_answers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    question text NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    phrasings text[] NOT NULL DEFAULT '{}',  -- other ways customers ask it, or keywords
    answer_en text NOT NULL DEFAULT '',
    answer_sw text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (answer_en <> '' OR answer_sw <> '')
);
CREATE INDEX IF NOT EXISTS shop_answers_business_idx ON shop_answers (business_id, created_at);

CREATE TABLE IF NOT EXISTS owner_questions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    customer_phone text NOT NULL,
    question text NOT NULL,
    topic text NOT NULL,  -- e.g. "pickup", "hours,returns", "question" (no known topic)
    language text NOT NULL DEFAULT 'en',
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    answer text,
    answered_by text,
    answered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS owner_questions_open_idx
    ON owner_questions (business_id, created_at) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS owner_questions_conversation_idx
    ON owner_questions (conversation_id, created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['shop_answers', 'owner_questions'] LOOP
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
