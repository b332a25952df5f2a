"""Helpers for tests/bench/relay/run.sh (Debian's /usr/bin/python3, stdlib only).

Subcommands (all output on stdout, one line unless noted):
  ports SPEC...          one free port per SPEC, all distinct. SPEC is a
                         comma-separated list of IPv4 addresses the port must
                         be free on (TCP bind); prefix "udp:" to require UDP
                         too. Found by binding port 0 and re-binding the same
                         port on the other addresses; sockets are held until
                         every port is found, then closed.
  dns-check PORT DOMAIN...
                         query 127.0.0.1:PORT (UDP) for each DOMAIN's MX and
                         the MX host's A record; prints "DOMAIN MXHOST ADDR"
                         per domain; exit 1 on any missing answer.
  wait KIND LOG OFFSET N TIMEOUT STALL TARGET
                         poll every 50 ms until N deliveries are logged in LOG
                         after byte OFFSET and the queue is empty. KIND silo:
                         LOG is the delivery log (JSON lines, "type":
                         "Delivered"), TARGET the spool.db (table messages
                         must be empty). KIND postfix: LOG is the maillog
                         ("status=sent"), TARGET the command printing the
                         queue size (run with sh -c). The queue is only looked
                         at once the log count has reached N (keeps polling
                         cheap). Gives up after TIMEOUT s in all, or after
                         STALL s without a new delivery. Prints
                         "done EPOCH COUNT" (EPOCH = time.time() when done) or
                         "timeout|stall EPOCH COUNT QUEUED" (exit 1).
  stats KIND LOG OFFSET  summary of the log after OFFSET:
                         "delivered uniq_ids p50 p99 problems" where p50/p99
                         are time in queue in seconds (silo: queue_seconds of
                         Delivered lines; postfix: delay= of status=sent
                         lines; nearest-rank) and problems is "-" or a
                         comma-separated list like Deferred=3,status=bounced=1.
  sink-count FILE        "SESSIONS MESSAGES": the last "sess=S ... mesg=M"
                         record of an smtp-sink -c counter file ("0 0" if
                         none yet).
"""

import json
import os
import re
import socket
import sqlite3
import struct
import subprocess
import sys
import time

POLL = 0.05


def cmd_ports(specs):
    held, ports = [], []
    for spec in specs:
        udp = spec.startswith("udp:")
        addrs = spec[4:].split(",") if udp else spec.split(",")
        for _ in range(200):
            first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            first.bind((addrs[0], 0))
            port = first.getsockname()[1]
            extra = []
            try:
                if port in ports:
                    raise OSError("duplicate")
                for addr in addrs[1:]:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    extra.append(s)
                    s.bind((addr, port))
                if udp:
                    for addr in addrs:
                        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        extra.append(s)
                        s.bind((addr, port))
            except OSError:
                for s in [first] + extra:
                    s.close()
                continue
            held += [first] + extra
            ports.append(port)
            break
        else:
            sys.exit("no free port for " + spec)
    for s in held:
        s.close()
    print(" ".join(map(str, ports)))


def dns_query(port, name, qtype):
    qid = os.getpid() & 0xFFFF
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        packet += bytes([len(label)]) + label.encode()
    packet += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(packet, ("127.0.0.1", port))
        reply = s.recv(4096)
    if struct.unpack(">H", reply[:2])[0] != qid or reply[3] & 0x0F:
        return []
    ancount = struct.unpack(">H", reply[6:8])[0]
    pos = 12
    pos = skip_name(reply, pos) + 4  # question
    answers = []
    for _ in range(ancount):
        pos = skip_name(reply, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", reply[pos:pos + 10])
        pos += 10
        if rtype == qtype == 15:
            answers.append(read_name(reply, pos + 2))
        elif rtype == qtype == 1:
            answers.append(socket.inet_ntoa(reply[pos:pos + 4]))
        pos += rdlen
    return answers


def skip_name(buf, pos):
    while True:
        n = buf[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += n + 1


def read_name(buf, pos):
    labels = []
    for _ in range(64):
        n = buf[pos]
        if n == 0:
            break
        if n & 0xC0 == 0xC0:
            pos = ((n & 0x3F) << 8) | buf[pos + 1]
            continue
        labels.append(buf[pos + 1:pos + 1 + n].decode())
        pos += n + 1
    return ".".join(labels)


def cmd_dns_check(port, domains):
    ok = True
    for domain in domains:
        mx = dns_query(int(port), domain, 15)
        addr = dns_query(int(port), mx[0], 1) if mx else []
        print(domain, mx[0] if mx else "?", addr[0] if addr else "?")
        ok = ok and bool(addr)
    sys.exit(0 if ok else 1)


class LogCounter:
    """Counts matching lines appended to a file after a byte offset, incrementally."""

    def __init__(self, path, offset, needle):
        self.path, self.pos, self.needle, self.count, self.rest = path, offset, needle, 0, b""

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return self.count
        self.pos += len(data)
        data = self.rest + data
        cut = data.rfind(b"\n") + 1
        self.rest = data[cut:]
        self.count += data[:cut].count(self.needle)
        return self.count


def silo_queued(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
    try:
        return con.execute("select count(*) from messages").fetchone()[0]
    finally:
        con.close()


def postfix_queued(cmd):
    out = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=30, check=True)
    return int(out.stdout.split()[-1])


def cmd_wait(kind, log, offset, n, timeout, stall, target):
    n, timeout, stall = int(n), float(timeout), float(stall)
    needle = b'"type":"Delivered"' if kind == "silo" else b" status=sent "
    queued = silo_queued if kind == "silo" else postfix_queued
    counter = LogCounter(log, int(offset), needle)
    start = last_change = time.time()
    last_count, left = -1, -1
    while True:
        count = counter.poll()
        now = time.time()
        if count != last_count:
            last_count, last_change = count, now
        if count >= n:
            try:
                left = queued(target)
            except (sqlite3.Error, subprocess.SubprocessError, ValueError, IndexError):
                left = -1
            if left == 0:
                print("done %.3f %d" % (time.time(), count))
                return 0
        if now - start > timeout or now - last_change > stall:
            if left < 0:
                try:
                    left = queued(target)
                except (sqlite3.Error, subprocess.SubprocessError, ValueError, IndexError):
                    left = -1
            why = "timeout" if now - start > timeout else "stall"
            print("%s %.3f %d %d" % (why, now, count, left))
            return 1
        time.sleep(POLL)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    rank = max(1, -(-len(values) * p // 100))  # nearest rank, ceil(n*p/100)
    return values[int(rank) - 1]


SENT = re.compile(r" (\w+): to=<[^>]*>.* delay=([0-9.]+),.* status=(\w+)")


def cmd_stats(kind, log, offset):
    delays, ids, problems = [], set(), {}
    try:
        with open(log, "rb") as f:
            f.seek(int(offset))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        if kind == "silo":
            try:
                rec = json.loads(line)
            except ValueError:
                problems["badline"] = problems.get("badline", 0) + 1
                continue
            if rec.get("type") == "Delivered":
                delays.append(float(rec["queue_seconds"]))
                ids.add(rec["queue_id"])
            else:
                key = str(rec.get("type"))
                problems[key] = problems.get(key, 0) + 1
        else:
            m = SENT.search(line)
            if not m:
                continue
            if m.group(3) == "sent":
                delays.append(float(m.group(2)))
                ids.add(m.group(1))
            else:
                key = "status=" + m.group(3)
                problems[key] = problems.get(key, 0) + 1
    summary = ",".join("%s=%d" % kv for kv in sorted(problems.items())) or "-"
    print("%d %d %.3f %.3f %s" % (len(delays), len(ids), percentile(delays, 50),
                                  percentile(delays, 99), summary))


def cmd_sink_count(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        data = b""
    found = re.findall(rb"sess=(\d+) .*?mesg=(\d+)", data)
    print("%d %d" % tuple(map(int, found[-1])) if found else "0 0")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "ports" and args:
        cmd_ports(args)
    elif cmd == "dns-check" and len(args) >= 2:
        cmd_dns_check(args[0], args[1:])
    elif cmd == "wait" and len(args) == 7:
        return cmd_wait(*args)
    elif cmd == "stats" and len(args) == 3:
        cmd_stats(*args)
    elif cmd == "sink-count" and len(args) == 1:
        cmd_sink_count(args[0])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:
        sys.exit(130)
