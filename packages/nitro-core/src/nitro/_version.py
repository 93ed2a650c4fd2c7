from importlib.metadata import version

#: The installed version of nitro-core (from its distribution metadata).
__version__: str = version("nitro-core")
