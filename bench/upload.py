"""Peak memory of the production server (``scripts/serve``: gunicorn, gevent worker) while a large PDF attachment is
uploaded through the API, on SQLite and the local store. Prints the worker's resident size before the upload
(the baseline, same process) and its high-water mark after it (VmHWM, which includes start-up; the figure is the
growth, when the high-water mark was reached during the upload). Figures only.

The bound to compare with is bench/storage.py's: a 100 MB streamed upload to S3 grows a process by about one or
two parts (8 MiB each). Issue 9 measured a 150 MB attachment taking the server from ~200 MB to 791 MB.

    .venv/bin/python bench/upload.py [--mb 150] [--server production|dev]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from flask_migrate import upgrade

from edoc.app import create_app
from edoc.config import Settings
from tests.support.bigpdf import pdf_with_image
from tests.support.crowd import prepare, serve


def _status(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def _server_pids(port: str) -> list[int]:
    """The server's processes: those started with our EDOC_BIND (gunicorn's master and worker, or edoc run)."""
    found = []
    for pid in subprocess.run(["pgrep", "-f", "gunicorn|edoc"], capture_output=True, text=True).stdout.split():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"EDOC_BIND=127.0.0.1:{port}".encode() in environ.split(b"\0"):
            found.append(int(pid))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=150)
    parser.add_argument("--server", choices=["production", "dev"], default="production")
    args = parser.parse_args()
    from argon2 import profiles

    from edoc.accounts import passwords

    passwords.use_profile(profiles.CHEAPEST)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pdf = work / "phu-luc.pdf"
        pdf_with_image(pdf, args.mb * 1024 * 1024)
        env = {"EDOC_SECRET_KEY": "u" * 32, "EDOC_INSTANCE_PATH": str(work / "instance"),
               "EDOC_STORAGE_DIR": str(work / "files"), "EDOC_DATABASE_URL": f"sqlite:///{work / 'edoc.sqlite3'}"}
        app = create_app(Settings.from_env(env), check_schema=False)
        with app.app_context():
            upgrade()
        prepared = prepare(create_app(Settings.from_env(env)), per_leader=1)
        with serve(env, work / "server.log", kind=args.server) as server:
            headers = prepared.headers("chuyenvien")
            doc = requests.post(f"{server.base}/api/v1/documents", headers=headers, timeout=120, json={
                "type": "TB", "summary": "Thông báo có phụ lục lớn", "body": "Nội dung.",
                "signer_id": prepared.user_ids["chutich"], "signer_authority": "TM.",
                "signer_authority_line": "BAN THƯỜNG VỤ",
                "recipients": [{"kind": "unit", "purpose": "act", "unit_id": prepared.unit_id}]}).json()["id"]
            pids = _server_pids(server.base.rsplit(":", 1)[1])
            before = {pid: _status(pid, "VmRSS") for pid in pids}
            started = time.perf_counter()
            with pdf.open("rb") as body:
                answer = requests.post(f"{server.base}/api/v1/documents/{doc}/attachments", headers=headers,
                                       files={"file": ("phu-luc.pdf", body, "application/pdf")},
                                       data={"title": "Phụ lục"}, timeout=600)
            seconds = time.perf_counter() - started
            print(f"{args.mb} MB PDF attachment through POST /api/v1/documents/{{id}}/attachments "
                  f"({args.server} server): {answer.status_code} in {seconds:.1f} s")
            for pid in pids:
                peak = _status(pid, "VmHWM")
                print(f"  process {pid}: resident {before[pid]:.0f} MB before, high-water mark {peak:.0f} MB "
                      f"(+{peak - before[pid]:.0f} MB)")


if __name__ == "__main__":
    main()
