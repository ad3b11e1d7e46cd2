"""Duka: WhatsApp AI sales agent shared package."""
