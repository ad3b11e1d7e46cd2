"""Data protection (Kenya Data Protection Act 2019): a customer's data exported or deleted on
request, the request log, the nightly retention purge and the shop's privacy notice."""
