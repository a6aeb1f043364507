"""The ``selector`` command line: the same functions the app and scripts call.

One module per command group; :mod:`selector.cli.output` holds the output helpers they
share. Nothing below this package imports it.
"""

from selector.cli.main import main

__all__ = ["main"]
