"""Who attends a meeting: participants with their roles, their answers to the invitation, deputies."""
