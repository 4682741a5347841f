"""Digital signatures in the app (chữ ký số): users' and the organisation's credentials, the trust store,
signing documents (one or a batch), the seal at issue, and validation reports. The PDF work is ``signing/``."""
