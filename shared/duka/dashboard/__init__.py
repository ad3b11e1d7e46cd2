"""The boutique owner's dashboard: a server-rendered Flask app behind WhatsApp one-time codes."""
