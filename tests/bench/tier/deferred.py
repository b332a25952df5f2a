#!/usr/bin/python3
"""A relay run where a fifth of the recipients are deferred once: one silo in Single mode (retries
in its spool) against the same build in AzureStorage mode (retries through the retry tier on a
local Azurite), interleaved, several runs each. Prints delivered/s (N / time from the start of the
load to the last recipient's delivery) and the time to empty per run, then medians and the ratio.

Receiving MX: the integration tests' aiosmtpd sink (tests/MailCluster.IntegrationTests/Sinks/
sink.py), which answers 451 to the first RCPT of every defer-once+ address. The load is Python's
smtplib on SESSIONS threads, one recipient per message. Bounded: fixed counts, a deadline per run,
loopback only, every process stopped at the end.

usage: deferred.py SILO_DLL AZURITE_BIN MESSAGES SESSIONS RUNS
"""
import json
import os
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SILO, AZURITE, MESSAGES, SESSIONS, RUNS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SINK = os.path.join(ROOT, "tests", "MailCluster.IntegrationTests", "Sinks", "sink.py")
MX = "127.0.41.2"
DEADLINE = 600
work = tempfile.mkdtemp(prefix="tierbench-")
processes = []


def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, log, **kw):
    p = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.PIPE, start_new_session=True, **kw)
    processes.append(p)
    return p


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def wait_port(host, p, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection((host, p), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {host}:{p}")


def delivered(out):
    path = os.path.join(out, "messages.jsonl")
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {r for line in f if line.endswith("\n") for r in json.loads(line)["rcpt_tos"]}


def load(smtp_port, recipients):
    chunks = [recipients[i::SESSIONS] for i in range(SESSIONS)]
    errors = []

    def session(chunk):
        try:
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as client:
                for rcpt in chunk:
                    client.sendmail("sender@bench.test", [rcpt], f"Subject: tier bench\r\nTo: {rcpt}\r\n\r\n{'x' * 900}\r\n")
        except Exception as e:  # noqa: BLE001 - any failure is reported and fails the run
            errors.append(repr(e))

    threads = [threading.Thread(target=session, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"load failed: {errors[:3]}")


def run(mode, index):
    d = os.path.join(work, f"{mode}-{index}")
    os.makedirs(d)
    dns_port, sink_port, smtp_port, http_port, orleans_port = port(), port(), port(), port(), port()
    with open(os.path.join(d, "dnsmasq.conf"), "w") as f:
        f.write(f"mx-host=dest.bench,mx.dest.bench,10\nhost-record=mx.dest.bench,{MX}\n")
    dns = start(["/usr/sbin/dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--listen-address=127.0.0.1", f"--port={dns_port}",
                 "--bind-interfaces", "--pid-file=", "--cache-size=0", f"--conf-file={d}/dnsmasq.conf"], f"{d}/dnsmasq.log")
    sink = start(["/usr/bin/python3", SINK, "--host", MX, "--port", str(sink_port), "--out", f"{d}/sink"], f"{d}/sink.log")
    wait_port(MX, sink_port)
    cluster = []
    azurite = None
    if mode == "azure":
        blob, queue, table = port(), port(), port()
        azurite = start([AZURITE, "--silent", "--skipApiVersionCheck", "--location", f"{d}/azurite", "--blobHost", "127.0.0.1", "--blobPort", str(blob),
                         "--queueHost", "127.0.0.1", "--queuePort", str(queue), "--tableHost", "127.0.0.1", "--tablePort", str(table)], f"{d}/azurite.log")
        wait_port("127.0.0.1", table)
        key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        storage = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;"
                   f"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;")
        cluster = ["--Cluster:Mode=AzureStorage", f"--Cluster:ConnectionString={storage}", f"--Cluster:ServiceId=b{index}{int(time.time())}",
                   "--Cluster:AdvertisedAddress=127.0.0.1", "--RetryTier:MoveInterval=00:00:01", "--RetryTier:IdlePollInterval=00:00:01"]
    silo = start(["dotnet", SILO, f"--Spool:Path={d}/spool", f"--Smtp:Listen=127.0.0.1:{smtp_port}", f"--Http:Listen=127.0.0.1:{http_port}",
                  f"--Cluster:SiloPort={orleans_port}", f"--Dns:Nameservers:0=127.0.0.1:{dns_port}", f"--Delivery:SmtpPort={sink_port}",
                  "--Delivery:AllowedMxNetworks=127.0.0.0/8", "--Delivery:HeloName=silo.bench", f"--Delivery:LogPath={d}/delivery.log",
                  "--Delivery:PollInterval=00:00:00.100", "--Delivery:Retry:Schedule=00:00:05", "--Delivery:Retry:Jitter=0", *cluster], f"{d}/silo.log")
    wait_port("127.0.0.1", smtp_port, 120)
    recipients = [f"defer-once+{i}@dest.bench" if i % 5 == 0 else f"user{i}@dest.bench" for i in range(MESSAGES)]
    started = time.time()
    load(smtp_port, recipients)
    accepted = time.time()
    while len(delivered(f"{d}/sink")) < MESSAGES:
        if time.time() - started > DEADLINE:
            raise SystemExit(f"{mode} run {index}: {len(delivered(f'{d}/sink'))} of {MESSAGES} delivered after {DEADLINE} s; see {d}")
        time.sleep(0.05)
    done = time.time()
    for p in (silo, sink, dns, azurite):
        if p is not None:
            stop(p)
    return MESSAGES / (done - started), done - started, MESSAGES / (accepted - started)


try:
    results = {"single": [], "azure": []}
    for i in range(RUNS):
        for mode in ("single", "azure"):
            rate, empty, accept = run(mode, i)
            results[mode].append((rate, empty))
            print(f"run {i + 1} {mode:6}: delivered/s {rate:7.1f}  time to empty {empty:6.1f} s  (accepted/s {accept:7.1f})", flush=True)
    single, azure = (statistics.median(r[0] for r in results[m]) for m in ("single", "azure"))
    single_empty, azure_empty = (statistics.median(r[1] for r in results[m]) for m in ("single", "azure"))
    print(f"\nmedians of {RUNS}, {MESSAGES} messages, 20% deferred once, {SESSIONS} sessions:")
    print(f"Single       delivered/s {single:7.1f}  time to empty {single_empty:6.1f} s")
    print(f"AzureStorage delivered/s {azure:7.1f}  time to empty {azure_empty:6.1f} s")
    print(f"ratio AzureStorage/Single {azure / single:.2f}")
finally:
    for p in processes:
        try:
            stop(p)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    shutil.rmtree(work, ignore_errors=True)
