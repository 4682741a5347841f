"""PDF signing and validation on pyHanko: keys, Decree 30 appearances, PAdES signatures, validation reports.

Knows nothing of Flask or the database; ``python -m signing`` is the command line on top.
"""
