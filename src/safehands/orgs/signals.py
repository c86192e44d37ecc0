"""What the org tree tells the apps above it; orgs imports none of them.

Apps keep data derived from the tree (measurement's subtree totals); they listen here
rather than orgs calling up into them, which the layer contracts forbid.
"""

from django.dispatch import Signal

# Sent inside the transaction that moved units, with `codes`: the units whose path changed.
org_units_moved = Signal()
