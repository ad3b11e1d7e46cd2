"""The client's address for sign-in limits, as the proxies in front of the dashboard saw it.

Each proxy appends the address it received the connection from to `X-Forwarded-For`, so only
the last `DASHBOARD_PROXY_HOPS` entries were written by a proxy we trust; everything left of
them came from the client and can be forged. Google's front end (Cloud Functions gen2 / Cloud
Run URLs) and the local gateway append one entry: the client is the rightmost one (hops = 1).
Behind an external HTTPS load balancer, which appends `<client>,<load balancer>`, use 2.
"""

from __future__ import annotations

from flask import Request

from duka.config import get_settings


def client_ip(request: Request) -> str:
    forwarded = [
        hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()
    ]
    hops = max(1, get_settings().dashboard_proxy_hops)
    if not forwarded:
        return request.remote_addr or "unknown"
    return forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
