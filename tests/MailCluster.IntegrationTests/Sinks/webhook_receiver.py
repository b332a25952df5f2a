#!/usr/bin/env python3
"""An HTTPS webhook receiver for delivery events that misbehaves on purpose.

Usage: webhook_receiver.py --port N --cert PEM --key PEM --secret-file F --out DIR [--seed S]
       [--fail-rate R] [--hang-rate R] [--lost-reply-rate R] [--hang-seconds S] [--gone]

Each POST's signature is checked as the README documents it (X-MailCluster-Signature:
v1=hex(HMAC-SHA256(secret, timestamp + "." + body))). Then, at random (seeded):
  fail-rate        500, nothing kept
  hang-rate        no answer for hang-seconds (past the sender's timeout), then 503, nothing kept
  lost-reply-rate  the batch is kept, then the connection closes without an answer (a duplicate follows)
otherwise the batch is kept and answered 204. --gone answers 410 to everything.
Kept events are appended, one JSON object a line, to OUT/events.jsonl; a POST whose signature
does not verify is answered 401 and counted in OUT/bad_signatures.jsonl. Prints READY once
listening; stops when stdin closes.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--secret-file", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--fail-rate", type=float, default=0.0)
parser.add_argument("--hang-rate", type=float, default=0.0)
parser.add_argument("--lost-reply-rate", type=float, default=0.0)
parser.add_argument("--hang-seconds", type=float, default=3.0)
parser.add_argument("--gone", action="store_true")
args = parser.parse_args()

with open(args.secret_file, "rb") as f:
    SECRET = f.read().strip()
lock = threading.Lock()
chance = random.Random(args.seed)


def append(name, lines):
    with lock, open(os.path.join(args.out, name), "a") as f:
        f.write("".join(line + "\n" for line in lines))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if args.gone:
            return self.answer(410)
        timestamp = self.headers.get("X-MailCluster-Timestamp", "")
        signature = self.headers.get("X-MailCluster-Signature", "")
        expected = "v1=" + hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            append("bad_signatures.jsonl", [json.dumps({"timestamp": timestamp, "signature": signature})])
            return self.answer(401)
        with lock:
            roll = chance.random()
        if roll < args.fail_rate:
            return self.answer(500)
        roll -= args.fail_rate
        if roll < args.hang_rate:
            time.sleep(args.hang_seconds)
            return self.answer(503)
        roll -= args.hang_rate
        events = json.loads(body)
        append("events.jsonl", [json.dumps(e, separators=(",", ":")) for e in events])
        if roll < args.lost_reply_rate:
            self.close_connection = True
            return
        self.answer(204)


server = ThreadingHTTPServer((args.host, args.port), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(args.cert, args.key)
server.socket = context.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("READY", flush=True)
sys.stdin.read()
server.shutdown()
