"""``python -m sim`` runs the ``ccsim`` command line."""

from sim.cli import entry

entry()
