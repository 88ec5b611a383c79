"""The value engine's formulas as pure functions: no ORM, no settings, no clock.

Scalar formulas take and return Decimals (money to the cent); population-wide parts (RFM
quintiles, BG/NBD, Gamma-Gamma, percentile ranks) work on numpy float arrays. Every formula
and its worked example is in docs/methodology.md.
"""

# Stored with every score so history shows which rules produced it; bump it whenever a
# formula, a default or a tie rule here changes.
METHOD_VERSION = 1
