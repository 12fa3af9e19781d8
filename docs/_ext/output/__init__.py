"""What the reader gets besides the rendered page: HTML adjustments, notebooks, sitemap, assets."""
