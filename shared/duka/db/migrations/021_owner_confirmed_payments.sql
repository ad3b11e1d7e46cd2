-- The owner confirms a payment by hand on the order page (Pochi la Biashara or a personal
-- number: no API reports it): it goes into the ledger as matched_by 'owner', gateway 'manual',
-- with no STK attempt. The receipt stays unique per boutique, so a code is never counted twice
-- whichever path brought it first (duka/orders/owner_payments.py).
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_matched_by_check;
ALTER TABLE payments ADD CONSTRAINT payments_matched_by_check
    CHECK (matched_by IN ('stk_push', 'owner'));
