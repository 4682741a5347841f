"""The development CA's network services on loopback: CRL, OCSP responder and an RFC 3161 timestamp
authority, so that tests and demos exercise the same HTTP clients (pyHanko's ``HTTPTimeStamper``, the
certificate validator's OCSP/CRL fetchers) as production does against a real CA. Development only.

    with DevServices(ca) as services:      # ca.base_url is set to services.url
        person = ca.issue("Nguyễn Văn A", organisation="...")   # carries the CRL and OCSP addresses
        timestamper = http_timestamper(services.tsa_url)
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import unquote

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

from signing.devca import DevCA
from signing.keys import SignerKey


def _private_key_info(key: SignerKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


class DevServices:
    """A small threaded HTTP server on 127.0.0.1 (a free port) answering ``/crl``, ``/ocsp``, ``/tsa`` and
    ``/ca.crt``. ``hits`` counts requests per path; ``tsa_down``/``ocsp_down``/``crl_down`` make those answer
    503."""

    def __init__(self, ca: DevCA, *, tsa: SignerKey | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.ca = ca
        self.hits: Counter[str] = Counter()
        self.tsa_down = False
        self.ocsp_down = False
        self.crl_down = False
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        if ca.base_url is None:
            ca.base_url = self.url
        # the TSA certificate is issued after base_url is set, so it too can be checked for revocation
        self.tsa = tsa or ca.issue_tsa()
        # the token carries the TSA's issuers, so that a validator can build the TSA's path from it alone
        self._timestamper = DummyTimeStamper(tsa_cert=self.tsa.certificate, tsa_key=_private_key_info(self.tsa),
                                             certs_to_embed=list(self.tsa.chain))
        self._thread: threading.Thread | None = None

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.url}/ocsp"

    @property
    def crl_url(self) -> str:
        return f"{self.url}/crl"

    def start(self) -> DevServices:
        self._thread = threading.Thread(target=self._server.serve_forever, name="devservices", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait(self) -> None:
        """Block until the server stops (the CLI's ``devca serve``)."""
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> DevServices:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- answering --------------------------------------------------------------------------------------------

    def _answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if path in ("/crl", "/ocsp") or path.startswith("/ocsp/"):
            # ``devca revoke`` may have run in another process since the last request
            self.ca.reload_revocations()
        if path == "/crl" and method == "GET":
            if self.crl_down:
                return 503, "text/plain", b"CRL distribution point down (test switch)"
            return 200, "application/pkix-crl", self.ca.crl()
        if path == "/ca.crt" and method == "GET":
            return 200, "application/pkix-cert", self.ca.der()
        if path == "/ocsp" or path.startswith("/ocsp/"):
            if self.ocsp_down:
                return 503, "text/plain", b"OCSP responder down (test switch)"
            if method == "GET":  # RFC 6960 A.1: base64 of the DER request in the path
                try:
                    body = base64.b64decode(unquote(path[len("/ocsp/"):]), validate=True)
                except (binascii.Error, ValueError):
                    return 400, "text/plain", b"not a base64 OCSP request"
            return 200, "application/ocsp-response", self.ca.ocsp_response(body)
        if path == "/tsa" and method == "POST":
            if self.tsa_down:
                return 503, "text/plain", b"TSA down (test switch)"
            try:
                request = tsp.TimeStampReq.load(body)
                response = self._timestamper.request_tsa_response(request)
            except (ValueError, TypeError, KeyError):
                return 400, "text/plain", b"not a timestamp request"
            return 200, "application/timestamp-reply", response.dump()
        return 404, "text/plain", b"not found"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        services = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                services.hits["/" + path.split("/")[1]] += 1  # "/ocsp/<request>" counts as "/ocsp"
                try:
                    status, media_type, data = services._answer(method, path, body)
                except Exception:  # a development server answers every request, even one it chokes on
                    status, media_type, data = 500, "text/plain", b"internal error"
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # the name http.server calls
                self._reply("GET")

            def do_POST(self) -> None:
                self._reply("POST")

            def log_message(self, format: str, *args: object) -> None:  # quiet in tests
                pass

        return Handler
