"""People and sign-in: users with roles, passwords (argon2id), login throttling, personal API tokens."""
