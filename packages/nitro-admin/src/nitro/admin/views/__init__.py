"""The admin's pages, one module per page; each view takes an ``AdminRequest``."""
