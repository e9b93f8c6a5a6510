"""``python -m sim`` runs the ``ccsim`` command line."""

from sim.launch import entry

entry()
