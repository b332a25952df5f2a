#!/usr/bin/python3
"""An MTA-STS policy host for integration tests: HTTPS on HOST:443 with the given certificate,
answering GET /.well-known/mta-sts.txt for each Host named in the policy directory (a file named
after the host, e.g. DIR/mta-sts.dest.test) as text/plain, 404 for anything else.

Prints READY when listening. Loopback only; stops on SIGTERM or when stdin closes.
"""
import argparse
import http.server
import os
import ssl
import sys
import threading

from lifecycle import serve_until_stopped

parser = argparse.ArgumentParser()
parser.add_argument("--host", required=True)
parser.add_argument("--port", type=int, default=443)
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--policies", required=True, help="directory of policy files named after their host")
args = parser.parse_args()
if not args.host.startswith("127."):
    sys.exit("mta_sts_server: loopback addresses only")


class PolicyHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = os.path.join(args.policies, os.path.basename(host))
        if self.path != "/.well-known/mta-sts.txt" or not host or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *arguments):
        sys.stderr.write("%s %s\n" % (self.headers.get("Host") if hasattr(self, "headers") and self.headers else "-", format % arguments))


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(args.cert, args.key)
server = http.server.ThreadingHTTPServer((args.host, args.port), PolicyHandler)
server.socket = context.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
serve_until_stopped(server.shutdown)
