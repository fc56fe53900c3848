"""In-memory fakes of the ports, for unit tests that cannot reach AWS (STYLE: ports and adapters).

Kept outside every Lambda asset folder: nothing here ships.
"""
