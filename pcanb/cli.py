"""The ``pcanb`` command: a headless tour, and housekeeping for the sandbox."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pcanb.errors import PcanbError


def _tour(args: argparse.Namespace) -> int:
    import pandas as pd

    import pcanb

    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 8)
    pca = pcanb.sandbox(args.path or ":memory:")
    say = print
    say(f"Sandbox: {pca.sandbox.path} (account {pca.account}, region {pca.region})\n")
    say("1. A root CA: create → CSR → self-sign with RootCACertificate/V1 → import → ACTIVE")
    root = pca.create_root_ca(common_name="Example Root CA", key_algorithm="EC_secp384r1")
    say(f"   {root.arn}\n   {root.certificate!r}\n")
    say("2. An issuing CA under it (SubordinateCACertificate_PathLen0/V1)")
    sub = pca.create_subordinate_ca(parent=root, common_name="Example Issuing CA", path_length=0)
    say(f"   {sub.certificate!r}\n")
    say("3. A TLS server certificate: key and CSR made locally, issued, awaited, decoded")
    leaf = pca.issue(
        sub, common_name="api.example.internal", sans=["api.example.internal"], days=30,
        template="EndEntityServerAuthCertificate",
    )  # fmt: skip
    say(f"   {leaf!r}\n   SANs {leaf.sans}  EKU {leaf.extended_key_usage}  chain {leaf.chain!r}\n")
    from pcanb.x509.chain import verify_chain

    problems = verify_chain(leaf, list(leaf.chain), at=pca.now())
    say(f"   chain check: {problems or 'valid'}\n")
    say("4. Revocation: a CRL in S3 and an OCSP responder, as AWS publishes them")
    bucket = pca.create_pca_bucket("example-pki")  # with the bucket policy AWS documents
    revocation = {
        "CrlConfiguration": {
            "Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 7,
            "S3ObjectAcl": "BUCKET_OWNER_FULL_CONTROL",
        },
        "OcspConfiguration": {"Enabled": True},
    }  # fmt: skip
    web = pca.create_subordinate_ca(
        parent=root, common_name="Example Web CA", revocation_configuration=revocation
    )
    lost = pca.issue(web, common_name="laptop.example.internal", days=30)
    pca.revoke(lost, "KEY_COMPROMISE")
    say(f"   CDP {lost.crl_urls[0]}\n   AIA {lost.ocsp_urls[0]}")
    say(f"   {pca.check_revocation(lost)!r}")
    crl_file = pca.sandbox.path / "s3" / bucket / "crl" / f"{web.ca_id}.crl"
    say(f"   the CRL as a file: openssl crl -inform DER -noout -text -in {crl_file}")
    if args.path is None:
        say("   (this sandbox is thrown away at the end: `pcanb tour --path DIR` keeps it)")
    say("")
    say("5. Audit: what did the web CA issue and revoke? (the audit report, parsed)")
    report = pca.audit_report(web, bucket=bucket)
    say(report[["common_name", "serial_hex", "issued_at", "revoked_at", "revocation_reason"]])
    say("")
    say("6. The CAs as a DataFrame")
    frame = pca.list_certificate_authorities()
    say(frame[["common_name", "type", "status", "key_algorithm", "not_after", "monthly_cost_usd"]])
    say("\n7. What an auditor would flag, and what this month costs")
    findings = pca.findings()
    say(findings[["common_name", "check", "severity", "title"]])
    costs = pca.costs(certificates=False)  # the certificate charges need audit reports
    say(costs[["common_name", "usage_mode", "billed_days", "ca_cost_usd", "notes"]])
    say(f"   CA charges this month: ${costs.attrs['total_usd']:,.2f}")
    say("\n8. Time travel: the sandbox clock moves 11 years forward")
    pca.sandbox.advance(days=11 * 365)
    say(pca.list_certificate_authorities()[["common_name", "status", "days_to_expiry"]])
    return 0


def _sandbox_info(args: argparse.Namespace) -> int:
    from pcanb.sandbox import Sandbox, SandboxStorageError, default_path

    path = Path(args.path) if args.path else default_path()
    if not (path / "sandbox.sqlite3").is_file():
        raise PcanbError(
            f"There is no pcanb sandbox in {path} yet: pcanb.sandbox({str(path)!r}) or any other "
            "pcanb sandbox command makes one there."
        )
    try:
        box = Sandbox(path, read_only=args.read_only)
    except SandboxStorageError:
        box = Sandbox(path, read_only=True)  # info only reads: a read-only directory will do
    print(repr(box))
    return 0


def _sandbox_advance(args: argparse.Namespace) -> int:
    from pcanb.sandbox import Sandbox

    box = Sandbox(args.path)
    print(box.advance(days=args.days, hours=args.hours, minutes=args.minutes).isoformat())
    return 0


def _sandbox_reset(args: argparse.Namespace) -> int:
    from pcanb.sandbox import Sandbox

    box = Sandbox(args.path)
    if not args.yes:
        if not sys.stdin.isatty():
            raise PcanbError(f"reset deletes everything in {box.path}: pass --yes to confirm.")
        answer = input(f"Delete every CA, certificate, object and event in {box.path}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    box.reset()
    print(f"reset {box.path}")
    return 0


def _sandbox_serve(args: argparse.Namespace) -> int:
    from pcanb.sandbox import Sandbox
    from pcanb.sandbox.server import make_server

    box = Sandbox(args.path, read_only=args.read_only)
    try:
        server = make_server(box, args.host, args.port)
    except (OSError, OverflowError) as error:
        raise PcanbError(f"cannot serve on {args.host}:{args.port} ({error})") from None
    host, port = server.server_address[:2]
    mode = " (read-only)" if box.read_only else ""
    print(f"pcanb sandbox {box.path}{mode} serving on http://{host}:{port}")
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(
            f"  warning: {host} reaches beyond this machine, and the sandbox takes any "
            "credentials: anyone who can connect can change it"
        )
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"  aws --endpoint-url http://{shown}:{port} acm-pca list-certificate-authorities")
    print("  (sign as usual: any access key and secret work; the account is " + box.account + ")")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _sandbox_coverage(args: argparse.Namespace) -> int:
    from pcanb.sandbox.coverage import table

    print(table())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pcanb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    tour = commands.add_parser("tour", help="a short headless demonstration on a sandbox")
    tour.add_argument("--path", help="sandbox directory (default: a throwaway one)")
    tour.set_defaults(run=_tour)
    box = commands.add_parser("sandbox", help="inspect or manage a sandbox directory")
    box_commands = box.add_subparsers(dest="sandbox_command", required=True)
    info = box_commands.add_parser("info", help="where the sandbox is and what time it is there")
    info.set_defaults(run=_sandbox_info)
    advance = box_commands.add_parser("advance", help="move the sandbox clock forward")
    advance.add_argument("--days", type=float, default=0)
    advance.add_argument("--hours", type=float, default=0)
    advance.add_argument("--minutes", type=float, default=0)
    advance.set_defaults(run=_sandbox_advance)
    reset = box_commands.add_parser("reset", help="delete everything in the sandbox")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset.set_defaults(run=_sandbox_reset)
    serve = box_commands.add_parser(
        "serve", help="serve the sandbox over HTTP for the AWS CLI and SDKs"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4566)
    serve.set_defaults(run=_sandbox_serve)
    coverage = box_commands.add_parser("coverage", help="what the sandbox emulates, per parameter")
    coverage.set_defaults(run=_sandbox_coverage)
    for sub in (info, advance, reset, serve):
        sub.add_argument(
            "--path", help="sandbox directory (default: $PCANB_SANDBOX or the user data dir)"
        )
    for sub in (info, serve):
        sub.add_argument(
            "--read-only",
            action="store_true",
            help="open an existing sandbox without writing to it (changes are refused)",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except PcanbError as error:  # the user's to fix (a directory, an argument): no traceback
        print(f"pcanb: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
