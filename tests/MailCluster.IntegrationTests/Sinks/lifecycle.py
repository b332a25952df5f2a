"""How the test servers run: say READY, then serve until SIGTERM or until stdin closes (the test
process went away), then stop."""
import signal
import sys
import threading


def serve_until_stopped(stop):
    print("READY", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    stop()
