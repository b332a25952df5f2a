#!/usr/bin/python3
"""The abuse battery (tests/abuse/run.sh starts the silo it needs): each attack a security read of
the silo found, sent through its real listeners, with what the silo answered. Loopback only; every
loop is bounded in count, every wait in time.

  spoofs    two From: fields, and an encoded-word hiding another tenant's address, from an
            authenticated user: refused, nothing signed for the other tenant's domain
  lockout   guesses at one user between logins to one's own account; 40 parallel guesses from one
            address; guesses at one user from 15 addresses (as from a rotated IPv6 /64)
  unicode   a user who logs in as U+212A KELVIN SIGN + "elvin" is counted as kelvin
  dsn       a 5 MB RET=FULL message to 200 nonexistent domains: DSNs counted and their bytes bounded
  squat     untrusted clients holding every slot they may: a trusted relay is still served
  admin     a Host header naming the admin port, sent to the metrics port: no admin API there
"""
import argparse
import base64
import concurrent.futures
import json
import os
import re
import smtplib
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--smtp", type=int, required=True, help="relay port (127.0.0.1 trusted)")
parser.add_argument("--submission", type=int, required=True, help="submission port (STARTTLS, AUTH)")
parser.add_argument("--http", type=int, required=True, help="metrics port")
parser.add_argument("--admin", type=int, required=True, help="admin API port")
parser.add_argument("--token", required=True, help="admin token")
parser.add_argument("--sink-out", required=True, help="the DSN sink's output directory")
args = parser.parse_args()

TLS = ssl._create_unverified_context()
outcomes = []


def check(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)
    outcomes.append(ok)


def metric(name, **labels):
    """Sum of the samples of one family on /metrics whose labels include those given."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{args.http}/metrics", timeout=10).read().decode()
    total = 0.0
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+)$", line)
        if match and match.group(1) == name and all(f'{k}="{v}"' in (match.group(2) or "") for k, v in labels.items()):
            total += float(match.group(3))
    return total


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    print(f"      (gave up after {seconds} s waiting for {what})", flush=True)
    return False


def submission(source):
    client = smtplib.SMTP("127.0.0.1", args.submission, timeout=60, source_address=(source, 0))
    client.ehlo("abuse.test")
    client.starttls(context=TLS)
    client.ehlo("abuse.test")
    return client


def auth(client, user, password):
    """AUTH PLAIN by hand: smtplib would refuse a non-ASCII user name."""
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    try:
        code, text = client.docmd("AUTH", "PLAIN " + token)
        return code, text.decode(errors="replace")
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        return 0, str(error)


def guess(source, user, password):
    """One AUTH attempt on a new connection; the reply code (421 also when refused at connect)."""
    try:
        client = submission(source)
    except smtplib.SMTPConnectError as error:
        return error.smtp_code
    except (smtplib.SMTPServerDisconnected, OSError):
        return 0
    code, _ = auth(client, user, password)
    try:
        client.quit()
    except (smtplib.SMTPServerDisconnected, OSError):
        pass
    return code


def send(client, sender, recipients, content):
    """MAIL, RCPT, DATA: the first refusal's code and text, or 250 and the final reply."""
    try:
        client.sendmail(sender, recipients, content)
        return 250, "accepted"
    except smtplib.SMTPResponseException as error:
        return error.smtp_code, error.smtp_error.decode(errors="replace")
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return code, text.decode(errors="replace")


def spoofs():
    accepted_before = metric("mailcluster_ingress_messages_total")
    for name, authors in [
        ("two From: fields", "From: alice@client.test\r\nFrom: ceo@bank.test\r\n"),
        ("encoded-word hiding an address", "From: =?utf-8?q?alice=40client=2Etest_=28?= <ceo@bank.test> =?utf-8?q?=29?=\r\n"),
        ("foreign Sender:", "From: alice@client.test\r\nSender: ceo@bank.test\r\n"),
    ]:
        client = submission("127.0.0.10")
        auth(client, "alice", "pw-alice")
        code, text = send(client, "alice@client.test", ["someone@client.test"], authors + "Subject: wire the money\r\n\r\nnow\r\n")
        client.quit()
        check(f"spoof: {name}", code in (550, 554), f"{code} {text}")
    check("spoof: nothing was accepted (so nothing was signed for bank.test)",
          metric("mailcluster_ingress_messages_total") == accepted_before, f"{metric('mailcluster_ingress_messages_total') - accepted_before:.0f} accepted")
    client = submission("127.0.0.10")
    auth(client, "alice", "pw-alice")
    code, text = send(client, "alice@client.test", ["someone@client.test"], "From: Alice <alice@client.test>\r\nSubject: hi\r\n\r\nhi\r\n")
    client.quit()
    check("spoof: alice's own mail is still accepted", code == 250, f"{code} {text}")


def lockout():
    # Four guesses at bob, then a login to one's own account, over and over: the guesses stay counted.
    replies = []
    for _ in range(3):
        replies += [guess("127.0.0.20", "bob", f"guess{i}") for i in range(4)]
        replies.append(guess("127.0.0.20", "mallory", "pw-mallory"))
    check("lockout: logging in as oneself forgives no guess", 421 in replies and replies[-1] == 421,
          f"replies {replies} (535 wrong, 235 own login, 421 blocked)")

    # 40 connections from one address guess at once: no more passwords are checked than serially.
    checked_before = metric("mailcluster_ingress_auth_total", result="failed")
    with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
        codes = list(pool.map(lambda i: guess("127.0.0.21", "dave", f"parallel{i}"), range(40)))
    checked = metric("mailcluster_ingress_auth_total", result="failed") - checked_before
    check("lockout: 40 parallel guesses from one address", checked <= 5,
          f"{checked:.0f} passwords checked; replies {sorted(codes)}")

    # One guess each from 15 addresses (what rotating through an IPv6 /64 does): the user locks.
    codes = [guess(f"127.0.1.{i}", "erin", f"rotated{i}") for i in range(1, 16)]
    check("lockout: guesses at one user from 15 addresses", codes.count(535) <= 10 and codes[-1] == 454,
          f"replies {codes} (454: the user is locked, for known and unknown names alike)")


def unicode_user():
    client = submission("127.0.0.22")
    code, text = auth(client, "\u212aelvin", "pw-kelvin")
    message = "From: kelvin@client.test\r\nSubject: one an hour\r\n\r\nbody\r\n"
    first = send(client, "kelvin@client.test", ["someone@client.test"], message)
    second = send(client, "kelvin@client.test", ["someone@client.test"], message)
    client.quit()
    check("unicode: KELVIN SIGN + elvin is kelvin, one message an hour", code == 235 and first[0] == 250 and second[0] == 451,
          f"AUTH {code}, first {first[0]}, second {second[0]} {second[1]}")


def sink_messages(path):
    """The sink's messages so far; a line it is still writing is left for the next look."""
    messages = []
    if os.path.exists(path):
        for line in open(path):
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return messages


def dsn_fanout():
    domains = [f"gone{i}.nx.test" for i in range(200)]
    line = "x" * 998 + "\r\n"
    content = "From: sender@client.test\r\nSubject: 5 MB to 200 nonexistent domains\r\n\r\n" + line * (5 * 1024 * 1024 // len(line))
    dsns_before = metric("mailcluster_delivery_dsn_generated_total")
    bytes_before = metric("mailcluster_delivery_dsn_size_bytes_total")
    bounced_before = metric("mailcluster_delivery_attempts_total", outcome="bounced")
    client = smtplib.SMTP("127.0.0.1", args.smtp, timeout=120)
    client.ehlo("abuse.test")
    client.sendmail("sender@client.test", [f"user@{d}" for d in domains], content, mail_options=["RET=FULL"])
    client.quit()
    bounced = lambda: metric("mailcluster_delivery_attempts_total", outcome="bounced") - bounced_before >= 200
    wait_until(bounced, 120, "200 bounces")
    sink = os.path.join(args.sink_out, "messages.jsonl")
    dsns_at_sink = lambda: [m for m in sink_messages(sink) if m["mail_from"] in ("", "<>")]
    reported = lambda: sum(m["content"].count("Final-Recipient:") for m in dsns_at_sink())
    # Every bounced recipient is in a DSN the sink has received.
    wait_until(lambda: reported() >= 200, 60, "DSNs reporting all 200 recipients at the sink")
    dsns = metric("mailcluster_delivery_dsn_generated_total") - dsns_before
    dsn_bytes = metric("mailcluster_delivery_dsn_size_bytes_total") - bytes_before
    at_sink = sum(len(m["content"]) for m in dsns_at_sink())
    check("dsn: a 5 MB RET=FULL message to 200 nonexistent domains", bounced() and 1 <= dsns <= 4 and dsn_bytes <= dsns * 256 * 1024 and reported() == 200,
          f"{dsns:.0f} DSN(s), {dsn_bytes:.0f} bytes spooled, {at_sink} bytes at the sink, {reported()} recipients reported (without the fix: 200 DSNs of 5 MB, 1 GB)")


def squat():
    held = []
    refused = 0
    # Four untrusted addresses, 50 connections each (the per-client limit): 200 asked, 180 may be held.
    for host in range(40, 44):
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", args.smtp), timeout=30, source_address=(f"127.0.0.{host}", 0))
            greeting = sock.recv(512)
            if greeting.startswith(b"220"):
                held.append(sock)
            else:
                refused += 1
                sock.close()
    try:
        trusted = smtplib.SMTP("127.0.0.1", args.smtp, timeout=30, source_address=("127.0.0.1", 0))
        trusted.ehlo("relay.client.test")
        code, _ = send(trusted, "sender@client.test", ["user@client.test"], "From: sender@client.test\r\nSubject: still served\r\n\r\nbody\r\n")
        trusted.quit()
    except smtplib.SMTPConnectError as error:
        code = error.smtp_code
    try:
        newcomer = socket.create_connection(("127.0.0.1", args.smtp), timeout=30, source_address=("127.0.0.44", 0))
        other = newcomer.recv(512)[:3].decode()
        newcomer.close()
    except OSError as error:
        other = str(error)
    for sock in held:
        sock.close()
    check("squat: untrusted clients hold every slot they may; the trusted relay is served", code == 250 and len(held) == 180 and other == "421",
          f"{len(held)} untrusted sessions held, {refused} refused; trusted relay's message {code}; another untrusted client {other}")


def admin():
    def get(port, host, token):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/domains", headers={"Host": host, "Authorization": f"Bearer {token}"})
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as error:
            return error.code
    spoofed = get(args.http, f"x:{args.admin}", args.token)
    check("admin: Host header naming the admin port, on the metrics port", spoofed == 404, f"{spoofed} (the API exists only on its own listener)")
    real, wrong = get(args.admin, f"127.0.0.1:{args.admin}", args.token), get(args.admin, f"127.0.0.1:{args.admin}", "x")
    check("admin: on its own port, the token decides", real == 200 and wrong == 401, f"right token {real}, wrong token {wrong}")


for attack in (spoofs, lockout, unicode_user, dsn_fanout, squat, admin):
    try:
        attack()
    except Exception as error:  # an attack that could not even run is a failure, with its reason
        check(attack.__name__, False, f"{type(error).__name__}: {error}")

passed = outcomes.count(True)
print(f"abuse battery: {passed} passed, {len(outcomes) - passed} failed", flush=True)
sys.exit(0 if all(outcomes) else 1)
