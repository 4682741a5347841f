"""The transports on their own: the folder drop box and the HTTP endpoint (a real local HTTP server)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from edoc.exchange.transport import FolderTransport, HttpTransport, TransportError, safe_organ_id


def test_folder_drops_whole_files_and_moves_them_when_done(tmp_path):
    box = FolderTransport(tmp_path)
    box.send("000.00.01.H26", b"<edXML/>")
    [item] = list(box.pending("000.00.01.H26"))
    assert item.read() == b"<edXML/>" and not list((tmp_path / "000.00.01.H26").glob(".*.part"))
    box.done(item, rejected="Gói tin không phải XML hợp lệ")
    assert list(box.pending("000.00.01.H26")) == []
    assert (tmp_path / "000.00.01.H26" / "rejected" / f"{item.path.name}.reason.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("organ_id", ["../etc", "a/b", "..", "", "x" * 65, "mã"])
def test_an_organ_id_cannot_steer_a_path(organ_id):
    with pytest.raises(TransportError):
        safe_organ_id(organ_id)


class _Receiver(BaseHTTPRequestHandler):
    seen: list[tuple[dict[str, str], bytes]] = []
    status = 202

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.seen.append((dict(self.headers), body))
        self.send_response(_Receiver.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_http_posts_the_message_and_reports_a_refusal():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/edxml"
        HttpTransport(url, token="t0k").send("000.00.01.H26", b"<edXML/>")
        headers, body = _Receiver.seen[-1]
        assert body == b"<edXML/>" and headers["X-Edxml-To"] == "000.00.01.H26"
        assert headers["Authorization"] == "Bearer t0k" and headers["Content-Type"].startswith("application/xml")
        _Receiver.status = 500
        with pytest.raises(TransportError, match="500"):
            HttpTransport(url).send("000.00.01.H26", b"<edXML/>")
    finally:
        server.shutdown()
    with pytest.raises(TransportError, match="không gửi được"):
        HttpTransport(f"http://127.0.0.1:{server.server_port}/gone", timeout=2).send("x", b"<edXML/>")
