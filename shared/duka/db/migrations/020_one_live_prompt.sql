-- Resend (duka.orders.resend): never a second live M-Pesa prompt for one order. An attempt is
-- live while it is sending, pending or of unknown outcome; a new one may be opened only once
-- the previous one is closed. Older attempts an order has moved past are closed first, so the
-- index can be built on an existing database.
UPDATE payment_attempts a SET status = 'expired', failure_reason = 'superseded',
    answered_at = COALESCE(a.answered_at, now())
    FROM orders o
    WHERE o.id = a.order_id AND a.attempt < o.attempt
      AND a.status IN ('sending', 'pending', 'unknown');

CREATE UNIQUE INDEX IF NOT EXISTS payment_attempts_one_live_per_order
    ON payment_attempts (order_id) WHERE status IN ('sending', 'pending', 'unknown');
