"""PDF signing and validation on pyHanko: keys, Decree 30 appearances, PAdES signatures, validation reports.

Knows nothing of Flask or the database; ``python -m signing`` is the command line on top. Modules:

- ``keys``: ``SignerKey`` (a loaded key, fast reusable pyHanko signer), PKCS#12/PEM load and encrypted export
- ``tokens``: keys on a PKCS#11 token (``open_token``)
- ``devca``, ``devservices``: a development CA (NOT legal) with CRL, OCSP and a TSA on loopback
- ``appearance``, ``fonts``, ``placement``: what a signature looks like and where it goes
- ``trust``: ``validation_context(roots, revocation="off"|"soft"|"hard", fetch=...)``, the same before signing
  and in validation
- ``sign``: ``sign_pdf``, ``seal_pdf``, ``sign_attachment``, ``add_document_timestamp`` (and ``async_`` forms
  for callers with their own event loop)
- ``timestamps``: ``http_timestamper``
- ``validate``: ``validate_pdf`` → ``ValidationReport`` (timestamped signatures judged at their timestamp)
- ``errors``: every refusal, all ``SigningError``
- ``forms``: text and signature fields in rendered documents
- ``xmlsig``: XML signatures (XMLDSig) of whole documents: ``sign_enveloped``, ``verify_enveloped``, ``check_trust``
"""
