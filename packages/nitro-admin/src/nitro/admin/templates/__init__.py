"""HTML building blocks of the admin's pages (rusty_tags; escaped by default)."""
