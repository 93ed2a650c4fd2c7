"""Nitro on FastAPI: ``configure_app(app)`` serves every entity ``@action``.

.. code-block:: python

    from fastapi import FastAPI
    from nitro.adapters.fastapi import configure_app

    app = FastAPI()
    configure_app(app)
"""

from importlib.metadata import version as _version

from nitro.adapters.fastapi._app import configure_app as configure_app
from nitro.adapters.fastapi._app import mount as mount

#: The installed version of nitro-fastapi (from its distribution metadata).
__version__: str = _version("nitro-fastapi")

__all__ = ["__version__", "configure_app", "mount"]
