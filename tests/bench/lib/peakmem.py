"""Peak memory of a server while a bench runs (Debian's /usr/bin/python3, stdlib only).

usage: peakmem.py silo|postfix PID OUT INTERVAL SECONDS

Every INTERVAL seconds, for at most SECONDS, sums VmRSS (/proc/P/status) and Pss
(/proc/P/smaps_rollup) over the server's processes - silo: the process group PID leads;
postfix: the master PID and its children - and writes "maxRssKiB maxPssKiB" to OUT
(replaced atomically) whenever a peak rises.

One process reading /proc, not a shell loop: the shell version forked pgrep, cat, awk and mv
five times a second, which took 10-14% of this 2-core machine away from the server under test.
"""

import os
import sys
import time


def field_kib(path, name):
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def stat_fields(pid):
    """(ppid, pgrp) from /proc/PID/stat; the command name may hold spaces and parentheses."""
    with open("/proc/%s/stat" % pid, "rb") as f:
        rest = f.read().rsplit(b")", 1)[1].split()
    return int(rest[1]), int(rest[2])


def members(kind, leader):
    found = [leader]
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == leader:
            continue
        try:
            ppid, pgrp = stat_fields(entry)
        except (OSError, IndexError, ValueError):
            continue
        if (kind == "silo" and pgrp == leader) or (kind == "postfix" and ppid == leader):
            found.append(int(entry))
    return found


def main(kind, pid, out, interval, seconds):
    leader, interval = int(pid), float(interval)
    deadline = time.monotonic() + float(seconds)
    peak_rss = peak_pss = -1
    while time.monotonic() < deadline:
        rss = pss = 0
        for p in members(kind, leader):
            rss += field_kib("/proc/%d/status" % p, b"VmRSS:")
            pss += field_kib("/proc/%d/smaps_rollup" % p, b"Pss:")
        if rss > peak_rss or pss > peak_pss:
            peak_rss, peak_pss = max(rss, peak_rss), max(pss, peak_pss)
            with open(out + ".tmp", "w") as f:
                f.write("%d %d\n" % (peak_rss, peak_pss))
            os.replace(out + ".tmp", out)
        time.sleep(interval)


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] not in ("silo", "postfix"):
        sys.exit(__doc__)
    main(*sys.argv[1:])
