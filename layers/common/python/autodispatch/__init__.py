"""autodispatch: the shared library of the nightly automatic-dispatch run (the Lambda layer)."""
