"""The order example's application core, framework-free: the domain (``domain``), the
messages (``messages``), their handlers on one bus (``handlers``) and the composition
root that wires them to a database, a mailer and the live page (``bootstrap``).

``app.py`` beside this package is the Flask entry point.
"""
