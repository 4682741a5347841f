"""Administration pages (quản trị): the organisation, its units and its users."""
