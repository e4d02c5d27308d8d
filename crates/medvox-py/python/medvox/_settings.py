"""Module-wide defaults of `device=` and `threads=`."""

#: The defaults calls use when they do not pass `device=` / `threads=`.
state = {"device": "cpu", "threads": None}

#: Unit spacing, zero origin, identity direction (numpy arrays given without geometry).
UNIT = ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0))
