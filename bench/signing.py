"""Signing benchmark, in one process. Figures only, never assertions on time.

1. One document signed by the library (``signing.sign_pdf``, the key loaded once), and THROUGH THE SYSTEM
   (``edoc.documents.signing.sign_one``: the leader's PIN unlocks
   their stored key, the trust and validity checks run, the approved PDF is read from the store and checked,
   the signed PDF is stored and its row, the document and the audit entry are committed), next to pyHanko
   signing the same PDF with the same key (loaded from the same PKCS#12) and the same image in the same field:
   - stock pyHanko: ``SimpleSigner.load_pkcs12`` + ``PdfSigner`` with its defaults (it signs twice to size the
     signature);
   - tuned pyHanko: the key loaded once, ``bytes_reserved`` fixed (what TECH-NOTES measured as the best one
     can do with pyHanko's public API).
   The ratios are the figures.
   Also the library's signature run as the production server runs it (gunicorn's gevent worker): its event loop
   on an OS thread of gevent's pool (``signing.aio``), next to the same in the calling thread.
2. A batch of N documents through ``start_batch``, its jobs run in this process as they are asked (one unlock
   per part of ``BATCH_PART`` documents, each document committed on its own). ``bench/jobs.py`` runs batches on
   worker processes.
3. The time to validate one issued document (signer + organisation), as the validation page does.

    .venv/bin/python bench/signing.py [--runs 15] [--batch 100] [--key-type ec|rsa ...]

Both key types by default, each in an app of its own: the demo's development CA issues EC P-256 keys, while the
certificates of Vietnam's public CAs (VNPT-CA, Viettel-CA, ...) are mostly RSA-2048, where stock pyHanko pays
most for re-reading the key at every signature.
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

from flask_migrate import upgrade
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from edoc import jobs
from edoc.accounts.models import User
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.documents import batch_signing, drafting, issuing, review, sources
from edoc.documents import signing as document_signing
from edoc.files.models import StoredFile
from edoc.files.service import read_verified
from edoc.signatures import service
from edoc.signatures.credentials import _pin_password, active_credential
from edoc.signatures.devca import DEMO_PIN
from signing.aio import run as aio_run
from signing.aio import set_offload
from signing.appearance import image_style
from signing.keys import export_pkcs12, load_kept_key
from signing.sign import BYTES_RESERVED, sign_pdf


def _approved(app, demo: dict[str, User], count: int) -> list[int]:
    with app.app_context():
        drafter, signer = db.session.get(User, demo["chuyenvien"]), db.session.get(User, demo["chutich"])
        ids = []
        for i in range(count):
            doc = drafting.create_draft(drafter, drafting.DraftData(
                type_code="KH", summary=f"Kế hoạch số {i + 1} thực hiện Chỉ thị 15-CT/TU năm 2023",
                body="I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n\nTiếp tục thực hiện có hiệu quả Chỉ thị số 15-CT/TU.",
                signer_id=signer.id, signer_authority="TM.", signer_authority_line="BAN THƯỜNG VỤ"))
            sources.render_version(doc)
            review.submit(drafter, doc)
            review.approve(signer, doc)
            ids.append(doc.id)
        db.session.commit()
        return ids


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--key-type", choices=["ec", "rsa"], action="append",
                        help="the leader's key: ec (P-256) or rsa (2048 bits); both when not given")
    args = parser.parse_args()
    for n, key_type in enumerate(args.key_type or ["ec", "rsa"]):
        if n:
            print()
        run(key_type, args.runs, args.batch)


def _give_leader_key(leader: User, key_type: str) -> None:
    """The demo's leader gets a ``key_type`` key from the development CA, replacing the demo's EC one."""
    from edoc.signatures.credentials import save_credential
    from edoc.signatures.devca import load_or_create_ca

    key = load_or_create_ca().issue(leader.full_name, organisation=leader.organisation.name, key_type=key_type)
    save_credential(None, leader.organisation, key, user=leader, pin=DEMO_PIN, source="devca")
    db.session.commit()


async def _nothing() -> None:
    return None


def _aio_us(offload, calls: int = 1000) -> float:  # type: ignore[no-untyped-def]
    """Microseconds per ``signing.aio.run`` of a coroutine that does nothing: the loop's and the offload's own cost
    (in the main thread, asyncio.run also installs and removes a SIGINT handler each time)."""
    set_offload(offload)
    try:
        for _ in range(100):
            aio_run(_nothing)
        start = time.perf_counter()
        for _ in range(calls):
            aio_run(_nothing)
        return (time.perf_counter() - start) / calls * 1e6
    finally:
        set_offload(None)


def run(key_type: str, runs: int, batch: int) -> None:
    args = argparse.Namespace(runs=runs, batch=batch)
    work = Path(tempfile.mkdtemp(prefix="edoc-bench-signing-"))
    app = create_app(Settings.from_env({"EDOC_SECRET_KEY": "s" * 32, "EDOC_INSTANCE_PATH": str(work),
                                        "EDOC_SIGNING_REVOCATION": "off"}), check_services=False)
    jobs.queue_of(app).run_immediately()  # the batch's jobs run in this process, as they commit
    with app.app_context():
        upgrade()
        demo = {u.username: u.id for u in load_demo().users}
        _give_leader_key(db.session.get(User, demo["chutich"]), key_type)
    single_ids = _approved(app, demo, args.runs + 1)
    batch_ids = _approved(app, demo, args.batch)

    with app.app_context():
        leader = db.session.get(User, demo["chutich"])
        credential = active_credential(leader.organisation_id, leader.id)
        blob = db.session.get(StoredFile, credential.p12_file_id)
        key = load_kept_key(read_verified(blob), _pin_password(leader.organisation_id, leader.id, DEMO_PIN))
        p12 = export_pkcs12(key, "bench")  # the same key, as the PKCS#12 a stock pyHanko user would hold
        png = read_verified(db.session.get(StoredFile, leader.signature_file_id))
        from edoc.documents.models import OutgoingDocument

        pdf = read_verified(db.session.get(OutgoingDocument, single_ids[0]).current_version.pdf_file)
        key_name = f"{key.certificate.public_key.algorithm.upper()}-{key.certificate.public_key.bit_size}"

    p12_path = work / "leader.p12"
    p12_path.write_bytes(p12)
    meta = signers.PdfSignatureMetadata(field_name="sig_signer", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    style = image_style(png)

    def stock() -> None:
        signer = signers.SimpleSigner.load_pkcs12(str(p12_path), passphrase=b"bench")
        signers.PdfSigner(meta, signer=signer, stamp_style=style).sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), output=io.BytesIO())

    tuned_signer = signers.SimpleSigner.load_pkcs12(str(p12_path), passphrase=b"bench")

    def tuned() -> None:
        signers.PdfSigner(meta, signer=tuned_signer, stamp_style=style).sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), output=io.BytesIO(), bytes_reserved=BYTES_RESERVED)

    def library() -> None:
        sign_pdf(pdf, key, image_png=png)

    import gevent

    def on_gevent_pool(call):  # what edoc.core.serving installs under gunicorn's gevent worker
        return gevent.get_hub().threadpool.apply(call)

    def offloaded() -> None:
        set_offload(on_gevent_pool)
        try:
            sign_pdf(pdf, key, image_png=png)
        finally:
            set_offload(None)

    pending = iter(single_ids)

    def system() -> None:
        with app.app_context():
            doc = db.session.get(OutgoingDocument, next(pending))
            document_signing.sign_one(db.session.get(User, demo["chutich"]), doc, DEMO_PIN)
            db.session.commit()

    system(), stock(), tuned(), library(), offloaded()  # warm-up (the first system call also fills caches)
    times: dict[str, list[float]] = {"stock": [], "tuned": [], "library": [], "offloaded": [], "system": []}
    for _ in range(args.runs):  # interleaved, so a noisy shared machine weighs on all alike
        times["stock"].append(_ms(stock))
        times["tuned"].append(_ms(tuned))
        times["library"].append(_ms(library))
        times["offloaded"].append(_ms(offloaded))
        times["system"].append(_ms(system))
    med = {name: statistics.median(values) for name, values in times.items()}

    with app.app_context():
        start = time.perf_counter()
        leader = db.session.get(User, demo["chutich"])
        batch_id = batch_signing.start_batch(leader, batch_ids, DEMO_PIN)
        db.session.commit()
        batch_s = time.perf_counter() - start
        state = batch_signing.batch_state(db.session.get(User, demo["chutich"]), batch_id)
        assert state.signed == args.batch, state.to_json()["errors"]
        clerk = db.session.get(User, demo["vanthu"])
        doc = issuing.issue(clerk, db.session.get(OutgoingDocument, batch_ids[0]))
        sources.finalise_issued(clerk, doc)
        db.session.commit()
        issued = read_verified(db.session.get(OutgoingDocument, batch_ids[0]).issued_file)
        org_id = clerk.organisation_id
        validate_ms = statistics.median(_ms(lambda: service.validate_bytes(org_id, issued))
                                        for _ in range(args.runs))

    print(f"document: 445/KH-LĐLĐ-like plan rendered by edoc ({len(pdf) // 1024} KiB), {key_name} key, signer image")
    print(f"{'':52}{'median':>10}")
    print(f"{'stock pyHanko (load PKCS#12 + sign)':52}{med['stock']:>8.1f} ms")
    print(f"{'tuned pyHanko (key loaded once, bytes_reserved)':52}{med['tuned']:>8.1f} ms")
    print(f"{'edoc signing.sign_pdf (library, key loaded once)':52}{med['library']:>8.1f} ms"
          f"   stock/edoc = {med['stock'] / med['library']:.2f}x, tuned/edoc = {med['tuned'] / med['library']:.2f}x")
    print(f"{'  the same on an OS thread of gevent pool':52}{med['offloaded']:>8.1f} ms"
          f"   {med['offloaded'] - med['library']:+.1f} ms: what the production server pays (signing.aio)")
    print(f"{'  signing.aio.run of an empty coroutine, in place':52}{_aio_us(None):>8.0f} µs")
    print(f"{'  the same on gevent pool (the offload alone)':52}{_aio_us(on_gevent_pool):>8.0f} µs")
    print(f"{'edoc, through the system (PIN unlock, checks, store)':52}{med['system']:>8.1f} ms"
          f"   stock/edoc = {med['stock'] / med['system']:.2f}x, tuned/edoc = {med['tuned'] / med['system']:.2f}x")
    print(f"{f'batch of {args.batch} as jobs, in this process':52}{batch_s:>8.2f} s "
          f"   {args.batch / batch_s:.1f} documents/s, {batch_s * 1000 / args.batch:.1f} ms each")
    print(f"{'validate one issued document (2 signatures)':52}{validate_ms:>8.1f} ms")
    print("edoc's single signature includes what pyHanko leaves to its caller: the PIN unlock of the stored key "
          "(PBKDF2), the certificate's validity and trust check, the input PDF's integrity checks, reading and "
          "writing the object store and the database commit.")


if __name__ == "__main__":
    main()
