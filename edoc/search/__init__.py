"""Tìm kiếm: one index over everything a user may read, behind one seam.

The packages that own what is searched (documents, incoming, later meetings) register an ``Indexer`` with
``edoc.search.registry``: what an entry of theirs holds, and who may read it (access keys their own policy module
computes). Search never imports them: the owners push their text here, and the session hooks keep the index
current in the same transaction as the change. The seam between the databases is ``edoc.search.backends``:
PostgreSQL full-text search over ``unaccent`` with a GIN index, SQLite FTS5 with đ folded by hand.
"""
