"""Errors by who must act: three categories every domain error derives from.

- `Transient`: infrastructure failed for now (database, Twilio, Pub/Sub, a gateway); try again.
  A Pub/Sub function raises it so Pub/Sub redelivers; a webhook answers 503 so the sender retries.
- `Rejected`: input the customer, the caller or the model can fix, or a final business outcome
  (out of stock, declined). Retrying changes nothing: an HTTP edge answers 4xx, a Pub/Sub
  function logs it and acknowledges. `NotAuthentic` and `NotFound` refine it for the edges.
- `Misconfigured`: a configuration or developer mistake; fail fast, and the message names the
  variable to fix. An HTTP edge answers 500 and logs it as an error.

Domain code raises these (with `raise ... from exc` to keep the cause) and never speaks HTTP;
the edges map categories with `http_status`, never by listing classes.
"""

from __future__ import annotations


class DukaError(Exception):
    """Base of every error Duka raises on purpose."""


class Transient(DukaError):
    """Infrastructure failed for now: retry (Pub/Sub redelivers, a webhook answers 503)."""


class Rejected(DukaError):
    """Input someone can fix, or a final business outcome: do not retry."""


class NotAuthentic(Rejected):
    """The request is not from whom it claims (signature or token wrong): act on nothing."""


class NotFound(Rejected):
    """The request names something that is not there (a business, an order)."""


class Misconfigured(DukaError):
    """A configuration or developer mistake: fail fast, naming the variable to fix."""


# Most specific first: the first category an error belongs to decides its status.
_HTTP_STATUS: tuple[tuple[type[DukaError], int], ...] = (
    (NotAuthentic, 401),
    (NotFound, 404),
    (Rejected, 400),
    (Transient, 503),
    (Misconfigured, 500),
)


def http_status(exc: DukaError, *, not_authentic: int = 401) -> int:
    """The HTTP status an edge answers `exc` with. `not_authentic` lets an edge follow its
    caller's convention (Twilio's webhook docs answer a bad signature with 403)."""
    for category, status in _HTTP_STATUS:
        if isinstance(exc, category):
            return not_authentic if category is NotAuthentic else status
    return 500


def public_reason(exc: DukaError) -> str:
    """What an edge tells its caller: a Rejected error's message says what to fix; the other
    categories say only what happened, never internals (hosts, variables, stack)."""
    if isinstance(exc, Rejected):
        return str(exc)
    if isinstance(exc, Transient):
        return "temporarily unavailable"
    return "not configured"
