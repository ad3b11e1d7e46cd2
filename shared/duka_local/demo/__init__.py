"""The demo boutique's catalogue and swatch images, and synthetic garment photos for tests."""
