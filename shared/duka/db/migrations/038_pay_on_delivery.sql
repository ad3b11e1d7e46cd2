-- Pay on delivery (duka/orchestrator/pod_flow.py): in a zone whose owner allows it
-- (settings->'delivery'->'zones'[].pay_on_delivery) the customer's order is placed with no
-- M-Pesa prompt. Its stock stays reserved and it has no expiry (expires_at NULL), so the
-- reconciler, which expires an order only once `expires_at <= now()` and queries only pushed
-- attempts (its 'manual' attempt is never pushed), leaves it open until the owner records the
-- payment the rider collected (by M-Pesa code or "Received in cash": duka/orders/owner_payments.py).
ALTER TABLE orders
    ADD COLUMN IF NOT EXISTS pay_on_delivery boolean NOT NULL DEFAULT false;
-- Cash the rider collected goes into the ledger like any payment the owner confirms
-- (gateway 'cash', matched_by 'owner'): no new grant, the application already inserts there.
