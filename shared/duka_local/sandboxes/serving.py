"""Stopping a sandbox's HTTP server, whichever server class (werkzeug's, http.server's) it is."""

from __future__ import annotations

from socketserver import BaseServer


def close_server(server: BaseServer | None) -> None:
    """Stop serving and release the port; None (never started, already stopped) does nothing."""
    if server is not None:
        server.shutdown()
        server.server_close()
