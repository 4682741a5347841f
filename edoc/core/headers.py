"""Security headers on every answer: a Content-Security-Policy, no framing, no referrer to other sites, no MIME
sniffing, and HSTS where the deployment says it is behind HTTPS (EDOC_HSTS)."""

from __future__ import annotations

from flask import Flask, Response

HSTS = "max-age=31536000; includeSubDomains"

# Pages: scripts and styles only from our own static files (no inline script or style attribute, no eval;
# scripts may still set element.style); images also as data: URLs; the Socket.IO connection and fetches to
# ourselves only; never framed, never a plugin, forms only to ourselves. (The register's print layouts carry a
# <style> block, but they are rendered to PDF by WeasyPrint, never served as pages.)
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
               "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
# Files (PDFs and images shown inline, downloads): nothing in them may run or load anything. The browser's own
# PDF viewer is not bound by it (Chromium shows the PDF under this policy, checked in the browser tests); a
# `sandbox` directive would stop it, so there is none.
FILE_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'"


def register_security_headers(app: Flask, *, hsts: bool) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        html = response.mimetype == "text/html"
        policy = PAGE_POLICY if html else FILE_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
