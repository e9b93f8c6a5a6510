"""Journey steps compiled by ``setup.py`` (Cython), ``MODULE_HASH``: see :mod:`sim.compiled`."""
