#!/usr/bin/python3
"""A receiving MX for integration tests (aiosmtpd), cued by the recipient's local part:

  defer-once+...@   first RCPT of that address gets 451 4.3.0, later ones 250
  greylist-once+...@  first RCPT of that address gets postgrey's 450 4.7.1 "Greylisted", later ones 250
  tempfail+...@     always 451 4.3.0
  reject+...@       550 5.1.1 (permanent)
  ratelimit-once+...@  first RCPT of that address gets 421 4.7.0 and the connection is closed
  bounce+...@       550 5.1.1 like reject+, and the address is written to OUT/bounced.jsonl
  stallN+...@       accepted; a message with such a recipient waits N seconds before its DATA
                    is answered (on top of --delay), every time it is sent; each such wait
                    starts with a line (its recipients) in OUT/stalled.jsonl
  anything else     accepted

With --tls-cert and --tls-key it offers STARTTLS with that certificate (PEM files).

With --refuse-peer ADDR (repeatable) a connection from that client address is greeted with
"421 4.7.0 [TSS04] ..." and closed, as a provider does with a sending IP it defers.

With --broken-tls it offers STARTTLS, answers 220 to it, then sends a TLS alert instead of a
handshake and closes: the client's handshake fails (a plaintext session afterwards works).

Each accepted message is one JSON line in OUT/messages.jsonl (time, peer, envelope, content as
latin-1 text); OUT/stats.json holds the number of connections open now ("current"), the
highest number of simultaneous connections seen ("max_concurrent"), both also by client address
("current_by_peer", "max_by_peer"), connections refused by --refuse-peer ("refused", by peer) and
the number of messages stalling after DATA now ("stalling").
Prints READY when listening. Loopback only; stops on SIGTERM or when stdin closes.
"""
import argparse
import asyncio
import json
import os
import re
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from lifecycle import serve_until_stopped

parser = argparse.ArgumentParser()
parser.add_argument("--host", required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before answering DATA")
parser.add_argument("--tls-cert", help="PEM certificate chain for STARTTLS")
parser.add_argument("--tls-key", help="PEM private key for STARTTLS")
parser.add_argument("--broken-tls", action="store_true", help="offer STARTTLS and fail every handshake")
parser.add_argument("--refuse-peer", action="append", default=[], help="greet connections from this client address with 421 and close")
args = parser.parse_args()
if not args.host.startswith("127.") and args.host != "::1":
    sys.exit("sink: loopback addresses only")

lock = threading.Lock()
seen = set()
stats = {"current": 0, "max_concurrent": 0, "connections": 0, "stalling": 0, "current_by_peer": {}, "max_by_peer": {}, "refused": {}}
STALL = re.compile(r"^stall(\d+)\+")


def stall_seconds(rcpt_tos):
    return max([int(m.group(1)) for m in (STALL.match(r.split("@", 1)[0].lower()) for r in rcpt_tos) if m], default=0)


def append_line(name, record):
    with lock, open(os.path.join(args.out, name), "a") as f:
        f.write(json.dumps(record) + "\n")


def write_stats():
    with open(os.path.join(args.out, "stats.json.tmp"), "w") as f:
        json.dump(stats, f)
    os.replace(os.path.join(args.out, "stats.json.tmp"), os.path.join(args.out, "stats.json"))


class CountingSMTP(SMTP):
    def connection_made(self, transport):
        peer = transport.get_extra_info("peername")[0]
        self._counted_peer = peer
        with lock:
            stats["current"] += 1
            stats["connections"] += 1
            stats["max_concurrent"] = max(stats["max_concurrent"], stats["current"])
            by_peer = stats["current_by_peer"]
            by_peer[peer] = by_peer.get(peer, 0) + 1
            stats["max_by_peer"][peer] = max(stats["max_by_peer"].get(peer, 0), by_peer[peer])
            if peer in args.refuse_peer:
                stats["refused"][peer] = stats["refused"].get(peer, 0) + 1
            write_stats()
        if peer in args.refuse_peer:
            # No SMTP session: the greeting is the refusal (RFC 5321 3.1 allows 421 there).
            self._refused = True
            transport.write(b"421 4.7.0 [TSS04] Messages from " + peer.encode() + b" temporarily deferred\r\n")
            transport.close()
            return
        self._refused = False
        super().connection_made(transport)

    def connection_lost(self, exc):
        with lock:
            stats["current"] -= 1
            stats["current_by_peer"][self._counted_peer] -= 1
            write_stats()
        if not self._refused:
            super().connection_lost(exc)

    async def smtp_STARTTLS(self, arg):
        if not args.broken_tls:
            return await super().smtp_STARTTLS(arg)
        await self.push("220 2.0.0 Ready to start TLS")
        # Once the ClientHello starts arriving: a fatal TLS alert (handshake_failure) where the
        # ServerHello should be, then close.
        await self._reader.read(1)
        self.transport.write(b"\x15\x03\x03\x00\x02\x02\x28")
        self.transport.close()


class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if args.broken_tls:
            responses.insert(len(responses) - 1, "250-STARTTLS")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        with lock:
            first = address not in seen
            seen.add(address)
        if local.startswith("reject+"):
            return "550 5.1.1 No such user here"
        if local.startswith("bounce+"):
            append_line("bounced.jsonl", {"time": time.time(), "peer": session.peer[0], "rcpt": address})
            return "550 5.1.1 No such user here"
        if local.startswith("tempfail+") or (local.startswith("defer-once+") and first):
            return "451 4.3.0 Try again later"
        if local.startswith("greylist-once+") and first:
            domain = address.split("@", 1)[1]
            return f"450 4.7.1 <{address}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{domain}.html"
        if local.startswith("ratelimit-once+") and first:
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
            return "421 4.7.0 Too many messages, slow down"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        stall = stall_seconds(envelope.rcpt_tos)
        if stall:
            append_line("stalled.jsonl", {"time": time.time(), "peer": session.peer[0], "rcpt_tos": envelope.rcpt_tos})
            with lock:
                stats["stalling"] += 1
                write_stats()
        try:
            if args.delay or stall:
                await asyncio.sleep(args.delay + stall)
        finally:
            if stall:
                with lock:
                    stats["stalling"] -= 1
                    write_stats()
        record = {
            "time": time.time(),
            "peer": session.peer[0],
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "content": envelope.original_content.decode("latin-1"),
        }
        append_line("messages.jsonl", record)
        return "250 2.0.0 Queued"


class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, decode_data=False, enable_SMTPUTF8=True, data_size_limit=60 * 1024 * 1024, tls_context=tls_context)


tls_context = None
if args.tls_cert:
    tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_context.load_cert_chain(args.tls_cert, args.tls_key)

os.makedirs(args.out, exist_ok=True)
write_stats()
controller = CountingController(Handler(), hostname=args.host, port=args.port, ready_timeout=10)
controller.start()
serve_until_stopped(controller.stop)
