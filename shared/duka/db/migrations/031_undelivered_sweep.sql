-- A message queued by a scheduled job (a follow-up, an alert, a broadcast card) whose send
-- failed for now is not redelivered by Pub/Sub like a reply to an inbound message: the job has
-- already claimed its work. The sweep (duka/relay.py) finds such messages across tenants and
-- delivers them; this function tells it only which chats have one.
CREATE OR REPLACE FUNCTION undelivered_outbound(older_than interval, max_rows integer)
    RETURNS TABLE (business_id uuid, conversation_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT m.business_id, m.conversation_id FROM messages m
          WHERE m.delivery_status = 'pending' AND m.role <> 'customer'
            AND m.created_at < now() - older_than AND m.created_at > now() - interval '1 day'
          GROUP BY m.business_id, m.conversation_id
          ORDER BY min(m.created_at) LIMIT max_rows $$;

REVOKE ALL ON FUNCTION undelivered_outbound(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION undelivered_outbound(interval, integer) TO duka_app;
