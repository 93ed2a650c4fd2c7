"""Nitro on Flask: ``configure_app(app)`` serves every entity ``@action``.

.. code-block:: python

    from flask import Flask
    from nitro.adapters.flask import configure_app

    app = Flask(__name__)
    configure_app(app)
"""

from importlib.metadata import version as _version

from nitro.adapters.flask._app import configure_app as configure_app
from nitro.adapters.flask._app import mount as mount

#: The installed version of nitro-flask (from its distribution metadata).
__version__: str = _version("nitro-flask")

__all__ = ["__version__", "configure_app", "mount"]
