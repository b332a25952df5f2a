#!/usr/bin/python3
"""Verifies every DKIM signature of each message file with dkimpy (Debian's python3-dkim; Ed25519
needs python3-nacl), an implementation independent of MimeKit. Public keys are looked up in the
tests' dnsmasq, never through /etc/resolv.conf. Prints one line per signature; exits 0 only when
every message has at least one signature and all of them verify."""
import argparse
import sys

import dkim
import dns.resolver

parser = argparse.ArgumentParser()
parser.add_argument("--dns", required=True, help="host:port of the DNS server holding the keys")
parser.add_argument("files", nargs="+")
args = parser.parse_args()

host, port = args.dns.rsplit(":", 1)
resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [host]
resolver.port = int(port)


def dnsfunc(name, timeout=5):
    name = name.decode("ascii") if isinstance(name, bytes) else name
    try:
        answer = resolver.resolve(name, "TXT", lifetime=timeout)
    except Exception as error:  # dkimpy treats a missing record as a failed verification
        print(f"lookup {name}: {error}", file=sys.stderr)
        return None
    return b"".join(b"".join(record.strings) for record in answer)


ok = True
for path in args.files:
    with open(path, "rb") as f:
        message = f.read()
    verifier = dkim.DKIM(message)
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    if count == 0:
        print(f"{path}: no DKIM-Signature")
        ok = False
    for index in range(count):
        try:
            passed, why = verifier.verify(idx=index, dnsfunc=dnsfunc), ""
        except dkim.DKIMException as error:  # e.g. a body hash mismatch
            passed, why = False, f" ({error})"
        domain = (verifier.domain or b"?").decode()
        selector = (verifier.selector or b"?").decode()
        print(f"{path} signature {index}: {'pass' if passed else 'fail'} d={domain} s={selector}{why}")
        ok = ok and passed
sys.exit(0 if ok else 1)
