-- Reliability: reconciling sends that may have reached Twilio, dead letters the owner must see,
-- and the counts behind the rate limits.

-- When a send to Twilio was last started for an outbound message. It is committed before the
-- call, so a run that died mid-send leaves it set on a still-pending message, and the next run
-- asks Twilio whether that message went out before sending it again.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS send_attempted_at timestamptz;

-- Per-business inbound rate: customer messages of one business in the last minute.
CREATE INDEX IF NOT EXISTS messages_business_inbound_idx ON messages (business_id, created_at)
    WHERE role = 'customer';

-- The sweep republishes unanswered customer messages, except those already dead-lettered:
-- Pub/Sub gave up on them after bounded retries and the owner has been told.
CREATE OR REPLACE FUNCTION unanswered_inbound(older_than interval, max_rows integer)
    RETURNS TABLE (business_id uuid, conversation_id uuid, message_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT m.business_id, m.conversation_id, m.id FROM messages m
          JOIN conversations c ON c.id = m.conversation_id
          WHERE m.role = 'customer' AND m.answered_by IS NULL AND c.status = 'active'
            AND NOT (m.metadata ? 'dead_lettered_at')
            AND m.created_at < now() - older_than AND m.created_at > now() - interval '1 day'
          ORDER BY m.created_at LIMIT max_rows $$;

-- The cap on M-Pesa prompts per phone and hour holds across boutiques (one abuser, many shops),
-- so it is counted by a definer function that returns a number and nothing else.
CREATE OR REPLACE FUNCTION stk_pushes_to_phone(phone text, within interval) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT count(*)::integer FROM payment_attempts
          WHERE pay_phone = phone AND created_at > now() - within
            AND coalesce(failure_reason, '') NOT LIKE 'gateway\_%' $$;
CREATE INDEX IF NOT EXISTS payment_attempts_phone_idx ON payment_attempts (pay_phone, created_at);

REVOKE ALL ON FUNCTION stk_pushes_to_phone(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stk_pushes_to_phone(text, interval) TO duka_app;
