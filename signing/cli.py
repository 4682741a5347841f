"""``python -m signing``: sign, timestamp and validate PDFs and run a development CA, with nothing but this
package, a PDF and a key.

    python -m signing sign IN.pdf OUT.pdf --pkcs12 key.p12 --password-file F --image sig.png [--tsa-url URL]
    python -m signing sign IN.pdf OUT.pdf --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token-label T \
        --key-label K --pin-file F --near-name "Nguyễn Văn Hùng" --image sig.png
    python -m signing sign IN.pdf OUT.pdf --pkcs12 org.p12 --password-file F --seal-image seal.png
    python -m signing sign IN.pdf OUT.pdf --pkcs12 org.p12 --password-file F --attachment-stamp "445/KH-LĐLĐ"
    python -m signing sign ... --tsa-url URL --trust root.pem --ltv [--lta]      # PAdES B-LT / B-LTA
    python -m signing timestamp IN.pdf OUT.pdf --tsa-url URL [--trust root.pem]  # a document timestamp
    python -m signing validate FILE.pdf --trust root.pem [--json] [--fetch] [--revocation off|soft|hard]
    python -m signing record FILE.pdf [--event-log LOG.jsonl] [--trust root.pem] [--json]  # a meeting's record
    python -m signing devca init DIR ; python -m signing devca issue DIR --name "..." --output x.p12 ...
    python -m signing devca revoke DIR SERIAL ; python -m signing devca serve DIR [--port P]

Exit codes: 0 done (validate: every signature valid), 1 validate found a problem, 2 refused or failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from signing.appearance import SealImage, SignerImage, attachment_stamp
from signing.devca import KEY_TYPES, DevCA, create_ca
from signing.devservices import DevServices
from signing.errors import SigningError
from signing.keys import export_encrypted_pkcs12, load_pkcs12
from signing.placement import Placement, box_above_name
from signing.record import check_record
from signing.sign import ATTACHMENT_FIELD, SEAL_FIELD, SIGNER_FIELD, add_document_timestamp, sign_pdf
from signing.timestamps import http_timestamper
from signing.tokens import open_token
from signing.trust import validation_context
from signing.validate import validate_pdf


def load_certificates(paths: Sequence[str]) -> list[asn1_x509.Certificate]:
    """Certificates from PEM (one or many per file) or DER files."""
    certs = []
    for path in paths:
        data = Path(path).read_bytes()
        try:
            if pem.detect(data):
                certs += [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
            else:
                certs.append(asn1_x509.Certificate.load(data))
        except (ValueError, TypeError):
            raise SigningError(f"{path}: không phải chứng thư số X.509 (PEM hoặc DER)") from None
    return certs


def _secret(value: str | None, file: str | None, what: str) -> str:
    if file:
        return Path(file).read_text(encoding="utf-8").rstrip("\r\n")
    if value is not None:
        return value
    raise SigningError(f"thiếu {what} (dùng --{what}-file hoặc --{what})")


def _key(args: argparse.Namespace) -> object:
    if args.pkcs11_module:
        return open_token(args.pkcs11_module, pin=_secret(args.pin, args.pin_file, "pin"),
                          token_label=args.token_label, key_label=args.key_label)
    if not args.pkcs12:
        raise SigningError("cần --pkcs12 (tệp khóa) hoặc --pkcs11-module (thiết bị ký số)")
    return load_pkcs12(Path(args.pkcs12).read_bytes(), _secret(args.password, args.password_file, "password"))


def _placement(args: argparse.Namespace, pdf: bytes) -> object:
    if args.box:
        try:
            page, x, y, width, height = (float(v) for v in args.box.split(","))
            if page < 1 or page != int(page):
                raise ValueError("page")
            return Placement.from_xywh(int(page) - 1, x, y, width, height)
        except ValueError:
            raise SigningError("--box phải có dạng TRANG,X,Y,RỘNG,CAO (trang từ 1, rộng và cao dương, đơn vị "
                               "điểm PDF)") from None
    if args.near_name:
        return box_above_name(pdf, args.near_name)
    return None


def _context(args: argparse.Namespace, revocation: str) -> object:
    if not args.trust:
        raise SigningError("cần --trust (chứng thư gốc tin cậy) để kiểm tra chứng thư số và thông tin thu hồi")
    return validation_context(load_certificates(args.trust), revocation=revocation, fetch=True)


def cmd_sign(args: argparse.Namespace) -> int:
    if (args.ltv or args.lta) and not args.tsa_url:
        raise SigningError("--ltv/--lta (PAdES B-LT/B-LTA) cần máy chủ dấu thời gian: thêm --tsa-url")
    if sum(bool(v) for v in (args.image, args.seal_image, args.attachment_stamp)) > 1:
        raise SigningError("chỉ chọn một trong --image, --seal-image, --attachment-stamp")
    if args.box and args.near_name:
        raise SigningError("chỉ chọn một trong --box, --near-name")
    pdf = Path(args.input).read_bytes()
    appearance: object = None
    field = args.field
    if args.seal_image:
        appearance, field = SealImage(Path(args.seal_image).read_bytes(), args.seal_mm), field or SEAL_FIELD
    elif args.attachment_stamp:
        appearance, field = attachment_stamp(args.attachment_stamp), field or ATTACHMENT_FIELD
    elif args.image:
        appearance = SignerImage(Path(args.image).read_bytes())
    context = None
    if args.ltv or args.lta or args.check_revocation or args.trust:
        # B-LT collects revocation data, so revocation is checked; "off" only vets trust and validity
        revocation = args.revocation or ("hard" if (args.ltv or args.lta or args.check_revocation) else "off")
        context = _context(args, revocation)
    placement = _placement(args, pdf)
    key = _key(args)
    try:
        out = sign_pdf(pdf, key, field=field or SIGNER_FIELD, appearance=appearance,  # type: ignore[arg-type]
                       placement=placement, reason=args.reason, location=args.location,  # type: ignore[arg-type]
                       timestamper=http_timestamper(args.tsa_url) if args.tsa_url else None,
                       embed_validation_info=bool(args.ltv or args.lta),
                       validation_context=context, lta=args.lta)  # type: ignore[arg-type]
    finally:
        close = getattr(key, "close", None)
        if close is not None:
            close()
    Path(args.output).write_bytes(out)
    print(f"Đã ký: {args.output}")
    return 0


def cmd_timestamp(args: argparse.Namespace) -> int:
    context = _context(args, args.revocation or "soft") if args.trust else None
    out = add_document_timestamp(Path(args.input).read_bytes(), http_timestamper(args.tsa_url),
                                 validation_context=context)  # type: ignore[arg-type]
    Path(args.output).write_bytes(out)
    print(f"Đã đóng dấu thời gian: {args.output}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    report = validate_pdf(Path(args.input).read_bytes(), trust_roots=load_certificates(args.trust or []),
                          revocation=args.revocation or args.revocation_mode,
                          fetch=bool(args.fetch or args.allow_fetching))
    if args.json:
        print(report.to_json())
    else:
        if not report.signatures:
            print("Tệp không có chữ ký số.")
        for s in [*report.signatures, *report.timestamps]:
            print(f"{s.field}: {s.signer} — {s.verdict_text.upper()}")
            if s.organisation:
                print(f"  cơ quan, tổ chức: {s.organisation}")
            when = f"  thời điểm ký: {s.signing_time or '—'}"
            print(when + (f"; dấu thời gian: {s.timestamp}" if s.timestamp else ""))
            print(f"  sau khi ký: {s.modification_text}; phạm vi: {s.coverage_text}; mức PAdES: {s.pades_level}")
            if s.judged_at:
                print(f"  {s.judged_text}: {s.judged_at}")
            if s.trust_problem:
                print(f"  tin cậy: {s.trust_problem}")
            if s.error:
                print(f"  lỗi: {s.error}")
    return 0 if report.all_valid else 1


def cmd_record(args: argparse.Namespace) -> int:
    """The meeting record embedded in signed minutes, recomputed and compared with the signed text; with
    --trust, the signatures are validated as ``validate`` does."""
    pdf = Path(args.input).read_bytes()
    log = Path(args.event_log).read_bytes().splitlines() if args.event_log else None
    report = check_record(pdf, event_log=[line for line in log if line.strip()] if log is not None else None)
    valid = True
    if args.trust:
        valid = validate_pdf(pdf, trust_roots=load_certificates(args.trust), revocation=args.revocation).all_valid
        if not valid:
            report.problems.append("chữ ký số không hợp lệ (xem: python -m signing validate)")
    if args.json:
        print(report.to_json())
    elif report.ok and valid:
        print(f"Dữ liệu cuộc họp khớp văn bản đã ký: {len(report.signatures)} chữ ký, {report.checked_votes} lần "
              "biểu quyết được tính lại.")
    else:
        for problem in report.problems:
            print(f"- {problem}")
    return 0 if report.ok and valid else 1


def cmd_devca_init(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if (folder / "ca-key.pem").exists():
        raise SigningError(f"{folder} đã có một CA; không ghi đè")
    ca = create_ca(base_url=args.url)
    ca.save(folder, _secret(args.password, args.password_file, "password"))
    print(f"CA phát triển (KHÔNG có giá trị pháp lý): {folder / 'ca.pem'}")
    return 0


def cmd_devca_issue(args: argparse.Namespace) -> int:
    ca = DevCA.load(Path(args.folder), _secret(args.password, args.password_file, "password"))
    kind = args.key_type or ("rsa" if args.rsa else "ec")
    if args.organisation_cert:
        key = ca.issue_organisation(args.name, email=args.email or "", days=args.days, key_type=kind)
    else:
        key = ca.issue(args.name, organisation=args.organisation or "", email=args.email or "", days=args.days,
                       key_type=kind)
    p12_password = _secret(args.p12_password, args.p12_password_file, "p12-password")
    Path(args.output).write_bytes(export_encrypted_pkcs12(key, p12_password))
    print(f"Chứng thư số cho {args.name} (số hiệu {key.serial}): {args.output}")
    return 0


def cmd_devca_revoke(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    password = _secret(args.password, args.password_file, "password")
    ca = DevCA.load(folder, password)
    try:
        serial = int(args.serial, 0)
    except ValueError:
        raise SigningError(f"số hiệu chứng thư “{args.serial}” không hợp lệ (số thập phân hoặc 0x...)") from None
    ca.revoke(serial)  # written to the CA's folder, where a running ``devca serve`` reads it
    print(f"Đã thu hồi chứng thư số {args.serial}; danh sách thu hồi: {folder / 'crl.der'}")
    return 0


def cmd_devca_serve(args: argparse.Namespace) -> int:
    ca = DevCA.load(Path(args.folder), _secret(args.password, args.password_file, "password"))
    port = args.port
    if port is None and ca.base_url:
        port = int(ca.base_url.rsplit(":", 1)[1].split("/")[0])
    services = DevServices(ca, port=port or 0).start()
    print(f"CRL {services.crl_url}  OCSP {services.ocsp_url}  TSA {services.tsa_url}  (Ctrl+C để dừng)", flush=True)
    try:
        services.wait()
    except KeyboardInterrupt:
        services.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signing", description="Ký số và kiểm tra chữ ký số tệp PDF "
                                     "(Nghị định 30/2020/NĐ-CP, PAdES).")
    sub = parser.add_subparsers(dest="command", required=True)

    sign = sub.add_parser("sign", help="ký một tệp PDF")
    sign.add_argument("input")
    sign.add_argument("output")
    key = sign.add_argument_group("khóa ký")
    key.add_argument("--pkcs12", help="tệp khóa và chứng thư số .p12/.pfx")
    key.add_argument("--password", help="mật khẩu tệp .p12 (nên dùng --password-file)")
    key.add_argument("--password-file")
    key.add_argument("--pkcs11-module", help="thư viện PKCS#11 của thiết bị ký số (token)")
    key.add_argument("--token-label")
    key.add_argument("--key-label")
    key.add_argument("--pin")
    key.add_argument("--pin-file")
    look = sign.add_argument_group("hình thức chữ ký")
    look.add_argument("--field", help="tên ô chữ ký (mặc định sig_signer; sig_seal; sig_attachment)")
    look.add_argument("--image", help="ảnh chữ ký của người ký, PNG nền trong suốt")
    look.add_argument("--seal-image", help="ảnh con dấu PNG: chữ ký số của cơ quan, sau chữ ký người có thẩm quyền")
    look.add_argument("--seal-mm", type=float, default=None, help="đường kính thực của dấu, mm (mặc định 36)")
    look.add_argument("--attachment-stamp", metavar="SỐ/KÝ-HIỆU",
                      help="ký văn bản kèm theo: góc trên bên phải trang đầu, số/ký hiệu và thời gian ký")
    look.add_argument("--box", help="TRANG,X,Y,RỘNG,CAO: vị trí ô chữ ký mới (trang từ 1, đơn vị điểm PDF)")
    look.add_argument("--near-name", help="đặt ô chữ ký mới ngay trên dòng có họ tên này")
    sign.add_argument("--reason")
    sign.add_argument("--location")
    sign.add_argument("--tsa-url", help="máy chủ dấu thời gian RFC 3161 (PAdES B-T)")
    sign.add_argument("--trust", action="append", help="chứng thư gốc tin cậy (PEM/DER), lặp được")
    sign.add_argument("--check-revocation", action="store_true",
                      help="kiểm tra chứng thư (tin cậy, thu hồi) trước khi ký; cần --trust")
    sign.add_argument("--revocation", choices=["off", "soft", "hard"],
                      help="mức kiểm tra thu hồi (mặc định hard với --check-revocation/--ltv/--lta)")
    sign.add_argument("--ltv", action="store_true",
                      help="nhúng thông tin thu hồi (PAdES B-LT; cần --trust và --tsa-url)")
    sign.add_argument("--lta", action="store_true",
                      help="thêm dấu thời gian tài liệu (PAdES B-LTA; cần --trust và --tsa-url)")
    sign.set_defaults(func=cmd_sign)

    stamp = sub.add_parser("timestamp", help="đóng dấu thời gian cho cả tài liệu (PAdES B-LTA)")
    stamp.add_argument("input")
    stamp.add_argument("output")
    stamp.add_argument("--tsa-url", required=True)
    stamp.add_argument("--trust", action="append",
                       help="chứng thư gốc tin cậy: thông tin thu hồi của TSA được nhúng vào tài liệu")
    stamp.add_argument("--revocation", choices=["off", "soft", "hard"])
    stamp.set_defaults(func=cmd_timestamp)

    validate = sub.add_parser("validate", help="kiểm tra chữ ký số trong tệp PDF")
    validate.add_argument("input")
    validate.add_argument("--trust", action="append", help="chứng thư gốc tin cậy (PEM/DER), lặp được")
    validate.add_argument("--json", action="store_true")
    validate.add_argument("--fetch", action="store_true", help="tải OCSP/CRL qua mạng")
    validate.add_argument("--allow-fetching", action="store_true", help=argparse.SUPPRESS)  # older spelling
    validate.add_argument("--revocation", choices=["off", "soft", "hard"],
                          help="mức kiểm tra thu hồi (mặc định soft)")
    validate.add_argument("--revocation-mode", default="soft-fail", choices=["soft-fail", "hard-fail", "require"],
                          help=argparse.SUPPRESS)
    validate.set_defaults(func=cmd_validate)

    record = sub.add_parser("record", help="kiểm tra dữ liệu cuộc họp nhúng trong biên bản đã ký")
    record.add_argument("input")
    record.add_argument("--event-log", help="nhật ký sự kiện của cuộc họp (mỗi dòng một sự kiện JSON)")
    record.add_argument("--trust", action="append", help="chứng thư gốc tin cậy: kiểm tra cả chữ ký số")
    record.add_argument("--revocation", choices=["off", "soft", "hard"])
    record.add_argument("--json", action="store_true")
    record.set_defaults(func=cmd_record)

    devca = sub.add_parser("devca", help="CA phát triển để thử nghiệm (KHÔNG có giá trị pháp lý)")
    devca_sub = devca.add_subparsers(dest="devca_command", required=True)

    def ca_password(p: argparse.ArgumentParser) -> None:
        p.add_argument("folder")
        p.add_argument("--password", help="mật khẩu khóa của CA")
        p.add_argument("--password-file")

    init = devca_sub.add_parser("init", help="tạo CA mới trong thư mục")
    ca_password(init)
    init.add_argument("--url", help="địa chỉ dịch vụ CRL/OCSP/TSA ghi vào chứng thư, ví dụ http://127.0.0.1:8990")
    init.set_defaults(func=cmd_devca_init)
    issue = devca_sub.add_parser("issue", help="cấp chứng thư số (tệp .p12)")
    ca_password(issue)
    issue.add_argument("--name", required=True, help="họ tên người ký, hoặc tên cơ quan")
    issue.add_argument("--organisation", help="cơ quan, tổ chức của người ký")
    issue.add_argument("--organisation-cert", action="store_true", help="chứng thư của cơ quan (cho con dấu)")
    issue.add_argument("--email")
    issue.add_argument("--days", type=int, default=730)
    issue.add_argument("--rsa", action="store_true", help="khóa RSA-2048 (mặc định EC P-256)")
    issue.add_argument("--key-type", choices=KEY_TYPES, help="loại khóa: ec (P-256), rsa (2048), rsa-3072, rsa-4096")
    issue.add_argument("--output", required=True)
    issue.add_argument("--p12-password")
    issue.add_argument("--p12-password-file")
    issue.set_defaults(func=cmd_devca_issue)
    revoke = devca_sub.add_parser("revoke", help="thu hồi chứng thư số theo số hiệu")
    ca_password(revoke)
    revoke.add_argument("serial")
    revoke.set_defaults(func=cmd_devca_revoke)
    serve = devca_sub.add_parser("serve", help="chạy CRL, OCSP và TSA trên 127.0.0.1")
    ca_password(serve)
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_devca_serve)
    return parser


_OS_ERRORS = {FileNotFoundError: "không tìm thấy tệp", PermissionError: "không có quyền đọc/ghi tệp",
              IsADirectoryError: "đây là thư mục, không phải tệp", NotADirectoryError: "đường dẫn không đúng"}


def _os_error(exc: OSError) -> str:
    text = next((t for kind, t in _OS_ERRORS.items() if isinstance(exc, kind)), None)
    return f"{text or exc.strerror or exc}: {exc.filename}" if exc.filename else f"{text or exc.strerror or exc}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SigningError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Lỗi: {_os_error(exc)}", file=sys.stderr)
        return 2
    except ValueError as exc:  # an option the library refused (argparse let it through)
        print(f"Lỗi: tham số không hợp lệ: {exc}", file=sys.stderr)
        return 2
