"""Nitro on FastHTML: ``configure_app(app)`` serves every entity ``@action``.

.. code-block:: python

    from fasthtml.common import fast_app
    from nitro.adapters.fasthtml import configure_app

    app, rt = fast_app()
    configure_app(app)
"""

from importlib.metadata import version as _version

from nitro.adapters.fasthtml._app import configure_app as configure_app
from nitro.adapters.fasthtml._app import mount as mount

#: The installed version of nitro-fasthtml (from its distribution metadata).
__version__: str = _version("nitro-fasthtml")

__all__ = ["__version__", "configure_app", "mount"]
