"""Storage benchmark: upload and download throughput through edoc's storage layer next to the bare MinIO SDK,
against the same real S3 server (SeaweedFS) in the same run; and the peak memory of a 100 MB upload.

    .venv/bin/python bench/storage.py [--size-mb 64] [--runs 5]

The ratio column is ours / bare SDK (higher is better for throughput). Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minio import Minio

import storage
from tests.support.seaweed import seaweed


def _median_rate(fn, size: int, runs: int) -> float:
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        rates.append(size / (time.perf_counter() - start) / 2**20)
    return statistics.median(rates)


def _bare_download(client: Minio, bucket: str, key: str) -> None:
    response = client.get_object(bucket, key)
    try:
        digest = hashlib.sha256()  # the app always checks what it reads; the baseline does the same work
        for chunk in response.stream(1 << 20):
            digest.update(chunk)
    finally:
        response.close()
        response.release_conn()


def _peak_upload_child(endpoint: str, access: str, secret: str, bucket: str) -> str:
    """Measure in a fresh process, so earlier runs' buffers do not hide this one's peak."""
    code = f"""
import io, resource, sys, tracemalloc
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
import storage
class Gen(io.RawIOBase):
    def __init__(s, n): s.n = n; s.block = bytes(range(256)) * 4096
    def readable(s): return True
    def readinto(s, b):
        k = min(len(b), s.n, len(s.block)); b[:k] = s.block[:k]; s.n -= k; return k
s3 = storage.S3Store(endpoint={endpoint!r}, access_key={access!r}, secret_key={secret!r},
                     bucket={bucket!r}, secure=False)
s3.check()
tracemalloc.start()
s3.put(io.BufferedReader(Gen(100 * 2**20), 1 << 20))
peak = tracemalloc.get_traced_memory()[1]
print(f"{{peak/2**20:.0f}} {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f}}")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return f"peak Python allocations {out[0]} MB, peak process RSS {out[1]} MB (imports included)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = args.size_mb * 2**20
    data = os.urandom(size)
    with tempfile.TemporaryDirectory() as tmp, seaweed(Path(tmp) / "weed") as server:
        bucket = f"edoc-bench-{uuid.uuid4().hex[:8]}"
        ours = storage.S3Store(endpoint=server.endpoint, access_key=server.access_key,
                               secret_key=server.secret_key, bucket=bucket, secure=False)
        ours.check()
        bare = Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False)
        local = storage.LocalStore(Path(tmp) / "local")
        keys: dict[str, str] = {}

        def ours_up() -> None:
            keys["ours"] = ours.put(io.BytesIO(data)).key

        def bare_up() -> None:
            keys["bare"] = f"bare/{uuid.uuid4().hex}"
            bare.put_object(bucket, keys["bare"], io.BytesIO(data), length=size)

        def local_up() -> None:
            keys["local"] = local.put(io.BytesIO(data)).key

        # Alternate so drift on a shared, noisy machine hits both sides alike.
        up: dict[str, list[float]] = {"ours": [], "bare": []}
        for _ in range(args.runs):
            up["bare"].append(_median_rate(bare_up, size, 1))
            up["ours"].append(_median_rate(ours_up, size, 1))
        digest = hashlib.sha256(data).hexdigest()
        down: dict[str, list[float]] = {"ours": [], "bare": []}
        for _ in range(args.runs):
            down["bare"].append(_median_rate(lambda: _bare_download(bare, bucket, keys["bare"]), size, 1))
            down["ours"].append(_median_rate(
                lambda: [None for _ in ours.open(keys["ours"], expected_sha256=digest)], size, 1))
        local_up_rate = _median_rate(local_up, size, args.runs)
        local_down_rate = _median_rate(lambda: [None for _ in local.open(keys["local"], expected_sha256=digest)],
                                       size, args.runs)
        ou, bu = statistics.median(up["ours"]), statistics.median(up["bare"])
        od, bd = statistics.median(down["ours"]), statistics.median(down["bare"])
        print(f"object {args.size_mb} MiB, {args.runs} runs each, SeaweedFS S3 at {server.endpoint}")
        print(f"{'':28}{'edoc storage':>14}{'bare MinIO SDK':>16}{'ratio':>8}")
        print(f"{'upload (MiB/s)':28}{ou:>14.1f}{bu:>16.1f}{ou / bu:>8.2f}")
        print(f"{'download + SHA-256 (MiB/s)':28}{od:>14.1f}{bd:>16.1f}{od / bd:>8.2f}")
        print(f"{'local folder up / down':28}{local_up_rate:>14.1f}{local_down_rate:>16.1f}")
        print("edoc's upload also computes the SHA-256 and size and enforces the size limit while streaming;")
        print("the bare SDK call is given the length and hashes nothing of its own.")
        print("peak memory, S3Store.put of a streamed 100 MB body:",
              _peak_upload_child(server.endpoint, server.access_key, server.secret_key, bucket))


if __name__ == "__main__":
    main()
