#!/usr/bin/env python3
"""Measures the wizard as a user meets it, in a real pseudo-terminal.

Usage: wizard_probe.py BINARY API_URL MODE [RUNS]
MODE is one of:
  startup   wall time from exec to the steps list on screen, vs curl fetching the same list
  idle      CPU time used in 10 s idle on the steps screen, watch off, then watch on
  bytes     bytes written for the first full frame at 110x32 and for one `j` move
  rss       peak RSS (VmHWM) through a full activation journey on the demo backend
  live      with watch on: latency from a control call's answer to the change on the
            screen, RUNS trials each on the event stream and on 3 s polling (the
            same simulator behind a proxy that refuses the events call), then
            CPU in 30 s with nothing changing, each way
Each prints one line per figure: name, min, median, max over the runs.
"""

import fcntl
import http.client
import http.server
import os
import pty
import random
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import urllib.parse


def spawn(argv, cols=110, rows=32, env_extra=None):
    """Starts argv on a new pty of the given size; returns (pid, master fd)."""
    home = tempfile.mkdtemp(prefix="stepwise-bench-")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STEPWISE_", "XDG_")) and k != "NO_COLOR"}
    env.update({"HOME": home, "TERM": "xterm-256color"})
    env.update(env_extra or {})
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def read_until(fd, needle, timeout=10.0):
    """Reads the pty until needle appears; returns all bytes read."""
    out = b""
    deadline = time.monotonic() + timeout
    while needle not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{needle!r} not seen; got {out[-400:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def drain_quiet(fd, quiet=0.3):
    """Reads until the pty has been silent for `quiet` seconds."""
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            return out
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return out
        if not chunk:
            return out
        out += chunk


def stop(pid, fd):
    try:
        os.write(fd, b"q")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            drain_quiet(fd, 0.05)
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass
    os.close(fd)


def thread_cpu(pid):
    """CPU time of each live thread of the process, in ns (schedstat)."""
    times = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                times[tid] = int(f.read().split()[0])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return times


def cpu_used_ms(before, after):
    """CPU used between two thread_cpu readings, in ms. Threads that ended in
    between (idle runtime workers retiring) are not counted: they were idle."""
    return sum(ns - before.get(tid, 0) for tid, ns in after.items()) / 1e6


def stats(name, values, unit):
    print(f"{name}: min {min(values):.3f} {unit}, median {statistics.median(values):.3f} {unit}, "
          f"max {max(values):.3f} {unit} ({len(values)} runs)")


def startup(binary, api, runs):
    wizard, curl = [], []
    url = f"{api}/pims/subscription/steps?carAssociationID=987654&resetSteps=false&stepsStatus=all"
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(["curl", "-s", "-H", "X-Device-Id: bench", url], check=True,
                       stdout=subprocess.DEVNULL)
        curl.append((time.monotonic() - t0) * 1000)
        t0 = time.monotonic()
        pid, fd = spawn([binary, "--api", api, "--car", "987654"])
        read_until(fd, b"NEXT")
        wizard.append((time.monotonic() - t0) * 1000)
        stop(pid, fd)
    stats("curl fetching the list", curl, "ms")
    stats("wizard exec to steps list on screen", wizard, "ms")
    ratios = [w / c for w, c in zip(sorted(wizard), sorted(curl))]
    print(f"ratio wizard/curl (median): {statistics.median(wizard) / statistics.median(curl):.2f}x "
          f"(sorted pairs: min {min(ratios):.2f}x, max {max(ratios):.2f}x)")


def idle(binary, api, runs):
    off, on = [], []
    for _ in range(runs):
        pid, fd = spawn([binary, "--api", api, "--car", "987654"])
        read_until(fd, b"NEXT")
        drain_quiet(fd)
        before = thread_cpu(pid)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            drain_quiet(fd, 0.5)
        off.append(cpu_used_ms(before, thread_cpu(pid)))
        os.write(fd, b"w")
        drain_quiet(fd)
        before = thread_cpu(pid)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            drain_quiet(fd, 0.5)
        on.append(cpu_used_ms(before, thread_cpu(pid)))
        stop(pid, fd)
    stats("CPU in 10 s idle, watch off", off, "ms")
    stats("CPU in 10 s, watch on (following the event stream)", on, "ms")


def bytes_written(binary, api, runs):
    first, move = [], []
    for _ in range(runs):
        pid, fd = spawn([binary, "--api", api, "--car", "987654"])
        out = read_until(fd, b"NEXT")
        out += drain_quiet(fd)
        first.append(len(out))
        os.write(fd, b"j")
        move.append(len(drain_quiet(fd)))
        stop(pid, fd)
    stats("bytes from exec to the first full frame 110x32", first, "B")
    stats("bytes for one selection move (j)", move, "B")


def rss(binary, _api, runs):
    peaks = []
    for _ in range(runs):
        report = os.path.join(tempfile.mkdtemp(prefix="stepwise-report-"), "r.json")
        pid, fd = spawn([binary, "demo", "--car", "111111", "--report", report])
        read_until(fd, b"NEXT")
        for _ in range(3):
            os.write(fd, b"s")
            drain_quiet(fd, 0.5)
        with open(f"/proc/{pid}/status") as f:
            hwm = next(l for l in f if l.startswith("VmHWM:"))
        stop(pid, fd)
        # The report proves the journey went from the first list to "ready".
        import json
        vehicle = json.load(open(report))["vehicles"][0]
        lists = [e for e in vehicle["entries"] if e["kind"] == "list"]
        assert lists[0]["done"] == 0 and lists[-1]["done"] == lists[-1]["total"] == 3, lists
        peaks.append(int(hwm.split()[1]) / 1024)
    stats("peak RSS through a full activation (demo, 3 steps to ready)", peaks, "MiB")


class NoEventsProxy(http.server.ThreadingHTTPServer):
    """A gateway without the events call: forwards every request to the
    simulator except the events call, which gets a 404 (so the wizard polls)."""

    daemon_threads = True

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def do_GET(self):
                if self.path.startswith("/pims/subscription/steps/events"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                up = http.client.HTTPConnection(self.server.upstream.hostname,
                                                self.server.upstream.port, timeout=10)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection")}
                up.request("GET", self.path, headers=headers)
                answer = up.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                up.close()

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


def control(api, car, step, action):
    """A control call of the simulator; returns when its answer is read."""
    u = urllib.parse.urlsplit(api)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("POST", f"/sim/associations/{car}/steps/{step}/{action}")
    answer = conn.getresponse()
    answer.read()
    conn.close()
    if answer.status != 200:
        raise RuntimeError(f"{action} {step}: HTTP {answer.status}")


def watch_latency(binary, wizard_api, sim_api, runs, header):
    """Latencies (ms) from a control call's answer (a step completed) to its
    row drawn DONE on the pty; then the CPU used in 30 s of watch with nothing
    changing."""
    car, step = "987654", "deviceActivation"
    pid, fd = spawn([binary, "--api", wizard_api, "--car", car])
    read_until(fd, b"NEXT")
    drain_quiet(fd)
    os.write(fd, b"w")
    read_until(fd, header)
    drain_quiet(fd)
    latencies = []
    for _ in range(runs):
        # The customer acts at a random moment of the polling period (a
        # restarted follower polls at once, so acting right after the reset
        # would always land just after a poll).
        end = time.monotonic() + random.uniform(0, 3.5)
        while time.monotonic() < end:
            drain_quiet(fd, max(0.0, min(0.1, end - time.monotonic())))
        control(sim_api, car, step, "complete")
        t0 = time.monotonic()
        read_until(fd, b"DONE", timeout=15)
        latencies.append((time.monotonic() - t0) * 1000)
        # Undo: the customer revokes, and the technician resets the steps
        # cache (R, y), as the simulator keeps a done step cached until then.
        control(sim_api, car, step, "revoke")
        os.write(fd, b"R")
        read_until(fd, b"Reset the steps cache of")
        os.write(fd, b"y")
        read_until(fd, b"Steps c", timeout=15)  # the banner, as the diff draws it
        drain_quiet(fd)
    drain_quiet(fd)
    before = thread_cpu(pid)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        drain_quiet(fd, 0.5)
    cpu = cpu_used_ms(before, thread_cpu(pid))
    stop(pid, fd)
    return latencies, cpu


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def live(binary, api, runs):
    proxy = NoEventsProxy(api)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    results = {}
    for name, wizard_api, header in [("event stream", api, b"live"),
                                     ("3 s polling (no events call)", proxy.url, b"polling every")]:
        results[name] = watch_latency(binary, wizard_api, api, runs, header)
    for name, (lat, _) in results.items():
        print(f"latency control call -> screen, {name}: p50 {percentile(lat, 50):.1f} ms, "
              f"p95 {percentile(lat, 95):.1f} ms, max {max(lat):.1f} ms ({len(lat)} trials)")
    for name, (_, cpu) in results.items():
        print(f"CPU in 30 s of watch, nothing changing, {name}: {cpu:.3f} ms")
    proxy.shutdown()


if __name__ == "__main__":
    binary, api, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    {"startup": startup, "idle": idle, "bytes": bytes_written, "rss": rss,
     "live": live}[mode](binary, api, runs)
