"""Delivery and pickup: the owner's zones, pickup points, fees set by hand, and the nearest
pickup points for a customer's area."""
