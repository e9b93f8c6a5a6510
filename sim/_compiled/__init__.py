"""Journey steps compiled by ``setup.py`` (Cython), named ``MODULE_SOURCEHASH``: see :mod:`sim.compiled`."""
