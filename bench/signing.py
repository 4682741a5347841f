"""Signing benchmark, in one process: one document signed through edoc's signing library next to stock pyHanko
(SimpleSigner.load_pkcs12 from the same PKCS#12 each time, default PdfSigner settings) with the same key and
the same image appearance; a batch of 100; and the time to validate one. Figures only.

    .venv/bin/python bench/signing.py [--runs 15] [--batch 100]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from edoc.rendering import render_pdf
from edoc.rendering.samples import sample_445_kh
from signing.appearance import image_style
from signing.devca import create_ca
from signing.keys import export_pkcs12, load_pkcs12
from signing.sign import sign_pdf
from signing.validate import validate_pdf


def _png() -> bytes:
    image = Image.new("RGBA", (320, 90), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 60), (80, 20), (140, 70), (220, 15), (300, 50)], fill=(20, 40, 180, 255),
                               width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    ca = create_ca()
    p12 = export_pkcs12(ca.issue("Nguyễn Văn Hùng", organisation="LĐLĐ huyện Gia Lâm"), "bench")
    pdf = render_pdf(sample_445_kh(issued=False)).pdf
    png = _png()
    key = load_pkcs12(p12, "bench")  # edoc loads a user's key once per batch
    root = asn1_x509.Certificate.load(ca.certificate.public_bytes(serialization.Encoding.DER))

    with tempfile.NamedTemporaryFile(suffix=".p12") as p12_file:
        p12_file.write(p12)
        p12_file.flush()

        def stock() -> bytes:
            signer = signers.SimpleSigner.load_pkcs12(p12_file.name, passphrase=b"bench")
            meta = signers.PdfSignatureMetadata(field_name="sig_signer", md_algorithm="sha256",
                                                subfilter=fields.SigSeedSubFilter.PADES)
            out = io.BytesIO()
            signers.PdfSigner(meta, signer=signer, stamp_style=image_style(png)).sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
            return out.getvalue()

        def ours() -> bytes:
            return sign_pdf(pdf, key, image_png=png)

        ours(), stock()  # warm-up
        # Alternate runs so a noisy, shared machine affects both alike.
        ours_ms, stock_ms = [], []
        for _ in range(args.runs):
            stock_ms.append(_median_ms(stock, 1))
            ours_ms.append(_median_ms(ours, 1))
    ours_med, stock_med = statistics.median(ours_ms), statistics.median(stock_ms)
    start = time.perf_counter()
    for _ in range(args.batch):
        sign_pdf(pdf, key, image_png=png)
    batch_s = time.perf_counter() - start
    signed = ours()
    validate_ms = _median_ms(lambda: validate_pdf(signed, trust_roots=[root]), args.runs)
    print(f"document: 445/KH-LĐLĐ rendered ({len(pdf) // 1024} KiB, 4 pages), EC P-256 key, image appearance")
    print(f"{'':38}{'median':>10}")
    print(f"{'stock pyHanko (load PKCS#12 + sign)':38}{stock_med:>8.1f} ms")
    print(f"{'edoc signing.sign_pdf':38}{ours_med:>8.1f} ms   ratio stock/ours = {stock_med / ours_med:.2f}x")
    print(f"{f'batch of {args.batch}, one key load':38}{batch_s:>8.2f} s    {args.batch / batch_s:.1f} documents/s")
    print(f"{'validate one (trust, diff analysis)':38}{validate_ms:>8.1f} ms")
    print("edoc also checks the PDF (encryption, existing signatures' integrity) and the certificate's validity")
    print("before each signature; stock pyHanko does neither.")


if __name__ == "__main__":
    main()
