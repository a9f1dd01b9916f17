"""inspectx: cross-border quality inspection data interchange.

Importing this package is cheap: it loads nothing heavy. Use the subpackages:
``inspectx.model`` to build certificates, ``inspectx.formats`` to read and write
them, ``inspectx.validation`` to check them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
