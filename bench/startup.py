#!/usr/bin/env python3
"""Time from process start to the first answered request, in milliseconds.

  startup.py BINARY [RUNS] [-- EXTRA ARGS]   prints the median and the slowest run
"""
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answered(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as s:
            s.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def once(binary, extra):
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([binary, "--port", str(port), *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = started + 60
        while not answered(port):
            if time.perf_counter() > deadline or process.poll() is not None:
                sys.exit("the emulator never answered")
        return (time.perf_counter() - started) * 1000
    finally:
        process.terminate()
        process.wait()


def main():
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    binary = args[0]
    runs = int(args[1]) if len(args) > 1 else 7
    times = [once(binary, extra) for _ in range(runs)]
    print(f"{statistics.median(times):.1f} {max(times):.1f}")


if __name__ == "__main__":
    main()
