"""Orders and payments on top of the gateways: checkout with stock reservation, callbacks
applied once, reconciliation of lost callbacks, and the customer's payment notices."""
