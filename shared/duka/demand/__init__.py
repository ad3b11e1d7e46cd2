"""Demand the shop doesn't stock: searches and photos that found nothing or only weak matches."""
