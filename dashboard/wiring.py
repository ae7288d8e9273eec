"""A page's callbacks declared at module level, wired to the app when it is built.

The callbacks need the running app's store and settings (its ``context``),
which exist only once ``create_app`` has them; with Dash's ``@app.callback``
alone every callback had to be nested inside the page's ``register(app,
context)``, one long function per page that no test could reach. Here each
callback is a module-level function taking the context first, declared with
its outputs, inputs and states beside it; the page's ``register`` hands them
all to the app with the context bound::

    callbacks = Callbacks()

    @callbacks(Output(ids.X, "children"), Input(ids.Y, "value"))
    def show(context, value):
        return describe(context.store, value)

    def register(app, context):
        callbacks.register(app, context)
"""

from __future__ import annotations

import functools
from collections.abc import Callable


class Callbacks:
    """One page's callbacks, in the order they are declared: server-side ones
    (``function(context, *values)``) and browser-side ones (a JavaScript text)."""

    def __init__(self) -> None:
        self._wirings: list[Callable] = []

    def __call__(self, *dependencies, **options) -> Callable:
        """Declare the decorated ``function(context, *values)`` as a callback on
        ``dependencies`` (Dash's outputs, inputs and states) with Dash's ``options``."""

        def declare(function: Callable) -> Callable:
            def wire(app, context) -> None:
                app.callback(*dependencies, **options)(functools.partial(function, context))

            self._wirings.append(wire)
            return function

        return declare

    def clientside(self, script: str, *dependencies, **options) -> None:
        """Declare a callback that runs in the browser: ``script`` is its JavaScript function."""

        def wire(app, _context) -> None:
            app.clientside_callback(script, *dependencies, **options)

        self._wirings.append(wire)

    def register(self, app, context) -> None:
        """Attach every callback declared to ``app``, each with ``context`` bound."""
        for wire in self._wirings:
            wire(app, context)
