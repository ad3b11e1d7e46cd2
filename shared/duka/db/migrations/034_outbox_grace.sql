-- The scheduled relay is for events whose writer could not publish them (Pub/Sub down, or the
-- writer died after its commit): it leaves alone a row younger than `older_than`, which its
-- writer is still publishing, so one event is not published twice, nor handled by a process
-- other than the writer's (two stacks sharing one database in the tests). Callers that enqueue
-- and relay at once (catalogue import, product edits) pass no grace.
DROP FUNCTION IF EXISTS outbox_pending(integer);
CREATE OR REPLACE FUNCTION outbox_pending(max_rows integer, older_than interval)
    RETURNS TABLE (id bigint, business_id uuid, topic text, payload jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id, business_id, topic, payload FROM outbox
          WHERE published_at IS NULL AND created_at < now() - older_than
          ORDER BY id LIMIT max_rows $$;

REVOKE ALL ON FUNCTION outbox_pending(integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_pending(integer, interval) TO duka_app;
