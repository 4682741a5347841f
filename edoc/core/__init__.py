"""The platform every domain package stands on: database, configuration checks, errors, text rules."""
