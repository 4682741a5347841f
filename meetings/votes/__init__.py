"""Votes in a meeting: open, named and secret ballots with Vietnamese options and rules, cast once per entitled
checked-in member, counted, decided and announced when the chair closes them."""
