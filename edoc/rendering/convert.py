"""DOCX → PDF with LibreOffice headless, in a throwaway profile and folder per conversion.

The file is checked to be a Word document before LibreOffice sees it: LibreOffice opens nearly anything (a text
file becomes a one-page PDF of its bytes), so "it converted" proves nothing about the upload.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""Compound file: a Word 97-2003 .doc, or a password-protected (encrypted) .docx."""
WORD_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)


MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""The most a Word package may unpack to: a long report with photographs is tens of MB; the issue's 852 KB DOCX
holding 800 MB of text drove LibreOffice to 5.7 GB."""
MAX_RATIO = 100
"""How much one part may be compressed (for parts over 1 MB unpacked): text deflates ~10:1, repeated text far more."""
MEMORY_LIMIT = 2 * 1024 * 1024 * 1024
"""Address space of LibreOffice (RLIMIT_AS through prlimit): a 200-page DOCX converts in ~300 MB resident."""
CPU_SECONDS = 120
MAX_AT_ONCE = int(os.environ.get("EDOC_MAX_CONVERSIONS", "2") or 2)
"""Conversions running at once on this machine, whatever the process (lock files in the temporary folder)."""
SLOT_WAIT_SECONDS = 30


class ConversionError(Exception):
    """LibreOffice is missing or timed out, or the file is not a Word document it can open; the message (in
    Vietnamese, shown to users) says which."""


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def check_docx(data: bytes) -> None:
    """Raise ConversionError unless ``data`` is an Office Open XML word-processing package."""
    if data.startswith(OLE_MAGIC):
        raise ConversionError("tệp là văn bản Word cũ (.doc) hoặc tệp DOCX có đặt mật khẩu; hãy lưu lại thành "
                              "DOCX không đặt mật khẩu")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            content_types = package.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise ConversionError("tệp bị hỏng hoặc không phải văn bản Word (DOCX) hợp lệ") from exc
    if not any(kind in content_types for kind in WORD_MAIN_TYPES):
        raise ConversionError("tệp không phải văn bản Word (DOCX): gói không có phần văn bản Word")
    check_unpacked_size(data)


def check_unpacked_size(data: bytes) -> None:
    """Refuse a decompression bomb by the zip directory's own figures, before anything is unpacked."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        members = package.infolist()
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise ConversionError(f"tệp giải nén ra {total // (1024 * 1024)} MB, vượt giới hạn "
                              f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB (có thể là “bom nén”)")
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ConversionError(f"phần “{member.filename[:80]}” bị nén quá {MAX_RATIO} lần (có thể là “bom nén”)")


def docx_to_pdf(data: bytes | Path, *, timeout: float = 60) -> bytes:
    """The PDF LibreOffice makes of a DOCX (given as bytes or a path)."""
    if isinstance(data, Path):
        try:
            data = data.read_bytes()
        except OSError as exc:
            raise ConversionError(f"không đọc được tệp {data.name}: {exc.strerror or exc}") from exc
    check_docx(data)
    binary = soffice_path()
    if binary is None:
        raise ConversionError("máy chủ chưa cài LibreOffice (lệnh soffice; gói Debian libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="edoc-convert-") as tmp:
        work = Path(tmp)
        source = work / "input.docx"
        source.write_bytes(data)
        # a profile of its own: concurrent conversions must not share (and lock) one user installation
        command = [*_limits(), binary, "--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault",
                   f"-env:UserInstallation={(work / 'profile').as_uri()}",
                   "--convert-to", "pdf", "--outdir", str(work / "out"), str(source)]
        with _slot():
            result = _run(command, timeout)
        output = work / "out" / "input.pdf"
        if not output.exists() or output.stat().st_size == 0:
            detail = (result.stderr or result.stdout or "").strip().splitlines()
            hint = f" ({detail[-1][:200]})" if detail else ""
            raise ConversionError(f"LibreOffice không mở được tệp: tệp bị hỏng hoặc không phải văn bản Word hợp "
                                  f"lệ{hint}")
        pdf = output.read_bytes()
    if not pdf.startswith(b"%PDF-"):
        raise ConversionError("LibreOffice không tạo được PDF từ tệp này")
    return pdf


def _limits() -> list[str]:
    """prlimit (util-linux) sets the limits in the child before LibreOffice starts; soffice.bin inherits them.
    Not preexec_fn: it is unsafe with threads, and gevent's workers run signing on threads."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return []
    return [prlimit, f"--as={MEMORY_LIMIT}", f"--cpu={CPU_SECONDS}", "--"]


@contextlib.contextmanager
def _slot() -> Iterator[None]:
    """One of MAX_AT_ONCE lock files, held while LibreOffice runs; tried without blocking and polled, so that a
    gevent worker waiting here keeps serving its other requests (time.sleep is gevent's there)."""
    folder = Path(tempfile.gettempdir()) / f"edoc-conversions-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    deadline = time.monotonic() + SLOT_WAIT_SECONDS
    while True:
        for number in range(MAX_AT_ONCE):
            handle = open(folder / f"slot-{number}.lock", "a+b")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() > deadline:
            raise ConversionError(f"máy chủ đang chuyển đổi {MAX_AT_ONCE} tệp khác; hãy thử lại sau ít phút")
        time.sleep(0.2)


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    # soffice is a script that starts oosplash, which starts soffice.bin: on a timeout the whole process group
    # must go, or soffice.bin lingers holding the profile and a CPU
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ConversionError(f"LibreOffice không chuyển xong trong {timeout:g} giây") from None
    except BaseException:
        _kill_group(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
