"""rusty_tags: HTML tags for Python with a Rust core."""

from rusty_tags._rusty_tags import __version__ as __version__

__all__ = ["__version__"]
