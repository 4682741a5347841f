"""edoc: electronic official documents (văn bản điện tử) and paperless meetings under Decree 30/2020/ND-CP."""

from edoc.app import create_app

__all__ = ["create_app"]
