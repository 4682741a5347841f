"""edoc: electronic official documents (văn bản điện tử) and paperless meetings under Decree 30/2020/ND-CP.

The package itself imports nothing: ``import edoc.core.db`` loads the database layer, not the whole app. The app
factory is ``edoc.app.create_app``."""
