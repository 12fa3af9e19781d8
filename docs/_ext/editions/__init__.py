"""The language editions of the site: the interface catalog, the language menu, Chinese search."""
