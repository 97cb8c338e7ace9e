#!/usr/bin/env python3
"""Measures the board with many vehicles, in a real pseudo-terminal.

Usage: board_probe.py BINARY API_URL VEHICLES CONCURRENCY [LATENCY_MS]
API_URL is a simulator started with `serve --fleet VEHICLES`. With
LATENCY_MS, the board and the probe reach it through a relay in this process
that holds every byte the gateway sends for that long (a gateway across a
network rather than on loopback). Prints:
  - one request's median time (keep-alive, the same list call the board makes);
  - the time from exec until every row of the board has data (the board logs
    that moment once), against the ideal VEHICLES / CONCURRENCY x median;
  - peak RSS (VmHWM) once loaded and after 10 s live;
  - CPU used in 10 s with the board not live (just loaded, and again once
    every age on it is shown in minutes), then live with nothing changing;
  - turning live on (`w`): the CPU used until the board settles, and the
    latency of keys (`?` until help is on screen) while it turns on;
  - the summary line while loading, read off the screen: a vehicle may be
    counted ready, in progress or failing only once its answer arrived. With
    LATENCY_MS the relay counts the answers it delivered, and the summary must
    never count more; on loopback the first frame must count every vehicle as
    not loaded.
"""

import asyncio
import random
import re
import select
import threading

import http.client
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from wizard_probe import cpu_used_ms, drain_quiet, read_until, spawn, stop, thread_cpu  # noqa: E402

MARK = b"board: every vehicle has data"

# Answers the relay has delivered to its clients (status lines seen).
DELIVERED = [0]


class Screen:
    """Just enough of a terminal to read lines back off the pty: cursor
    positioning, clearing, and text; colours, modes, titles and links are
    skipped."""

    SEQ = re.compile(r"\x1b\[([0-9;?<=>]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

    def __init__(self, cols, rows):
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.row = self.col = 0
        self.rest = b""

    def feed(self, data):
        data = self.rest + data
        # An escape sequence cut at the end waits for the next read.
        cut = data.rfind(b"\x1b")
        if cut >= 0 and len(data) - cut < 64 and not self.SEQ.match(data[cut:].decode("utf-8", "replace")):
            data, self.rest = data[:cut], data[cut:]
        else:
            self.rest = b""
        # A UTF-8 character cut at the end waits too.
        for back in range(1, min(4, len(data)) + 1):
            if data[-back] & 0xC0 != 0x80:
                lead = data[-back]
                need = 1 if lead < 0x80 else 2 if lead >= 0xC0 and lead < 0xE0 else 3 if lead < 0xF0 else 4
                if need > back:
                    data, self.rest = data[:-back], data[-back:] + self.rest
                break
        text = data.decode("utf-8", "replace")
        at = 0
        for m in self.SEQ.finditer(text):
            self.put(text[at:m.start()])
            at = m.end()
            if m.group(3) == "H" and not m.group(1).startswith("?"):
                parts = (m.group(1) or "1;1").split(";")
                self.row = max(0, int(parts[0] or 1) - 1)
                self.col = max(0, int(parts[1] or 1) - 1) if len(parts) > 1 else 0
            elif m.group(3) == "J" and m.group(1) in ("2", "3"):
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
        self.put(text[at:])

    def put(self, text):
        for ch in text:
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self.row += 1
            elif ch >= " ":
                if self.row < self.rows and self.col < self.cols:
                    self.grid[self.row][self.col] = ch
                self.col += 1

    def lines(self):
        return ["".join(r) for r in self.grid]


SUMMARY = re.compile(r"([\d,.\u202f\u00a0 ]+) ready · ([\d,.\u202f\u00a0 ]+) in progress · "
                     r"([\d,.\u202f\u00a0 ]+) failing(?: · ([\d,.\u202f\u00a0 ]+) not loaded yet)?")


def summary(screen):
    """(ready, in progress, failing, not loaded) as the screen shows them."""
    for line in screen.lines():
        if m := SUMMARY.search(line):
            return tuple(int(re.sub(r"\D", "", g)) if g else 0 for g in m.groups())
    return None


def start_relay(api, latency_ms):
    """A TCP relay to API that delays what comes back by latency_ms; returns
    its URL. Bytes keep their order; each chunk is held from its arrival."""
    up = urllib.parse.urlparse(api)
    delay = latency_ms / 1000
    loop = asyncio.new_event_loop()
    started = threading.Event()
    box = {}

    async def forward(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def held(reader, writer):
        queue = asyncio.Queue()

        async def take():
            while True:
                data = await reader.read(65536)
                await queue.put((loop.time() + delay, data))
                if not data:
                    return

        async def give():
            while True:
                due, data = await queue.get()
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                if not data:
                    writer.close()
                    return
                DELIVERED[0] += data.count(b"HTTP/1.1 ")
                writer.write(data)
                await writer.drain()

        await asyncio.gather(take(), give())

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(up.hostname, up.port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(forward(client_reader, up_writer), held(up_reader, client_writer),
                             return_exceptions=True)

    async def serve():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        box["port"] = server.sockets[0].getsockname()[1]
        started.set()
        await server.serve_forever()

    threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True).start()
    started.wait()
    return f"http://127.0.0.1:{box['port']}"


def median_request_ms(api, vehicles, samples=200):
    url = urllib.parse.urlparse(api)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    times = []
    for i in range(samples):
        car = f"F{(i % vehicles) + 1:04d}"
        t0 = time.monotonic()
        conn.request("GET", f"/pims/subscription/steps?carAssociationID={car}"
                     "&resetSteps=false&stepsStatus=all", headers={"X-Device-Id": "bench"})
        conn.getresponse().read()
        times.append((time.monotonic() - t0) * 1000)
    conn.close()
    return statistics.median(times)


def logs(home):
    """The log files under HOME (in hidden folders, which glob skips)."""
    for root, _, files in os.walk(home):
        if os.path.basename(root) == "logs":
            yield from (os.path.join(root, f) for f in files if f.endswith(".log"))


def hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        line = next(l for l in f if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def process_cpu_ms(pid):
    """CPU of the whole process so far (every thread, ended ones included),
    in ms; clock-tick resolution (10 ms), for spans of seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def quiet_for(fd, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        drain_quiet(fd, 0.5)


def read_for(fd, secs):
    """Reads (and drops) what the pty writes for `secs` seconds."""
    end = time.monotonic() + secs
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


# Settled: a whole second in which the board used less than this CPU.
SETTLED_MS_PER_S = 20
WINDOW = 0.25


def settle(pid, fd, limit=180):
    """After a key that starts work: reads the pty until the process has used
    less than SETTLED_MS_PER_S in the last second; returns (CPU ms, seconds)
    from the key to the start of that quiet second, and the CPU ms up to its
    end (the quiet second included)."""
    t0, cpu0 = time.monotonic(), process_cpu_ms(pid)
    samples = [(t0, cpu0)]
    while time.monotonic() - t0 < limit:
        read_for(fd, WINDOW)
        samples.append((time.monotonic(), process_cpu_ms(pid)))
        back = [s for s in samples if s[0] >= samples[-1][0] - 1.0 - WINDOW / 2]
        if samples[-1][0] - t0 >= 1.0 and samples[-1][1] - back[0][1] < SETTLED_MS_PER_S:
            return back[0][1] - cpu0, back[0][0] - t0, samples[-1][1] - cpu0
    return samples[-1][1] - cpu0, float("inf"), samples[-1][1] - cpu0


HELP_MARK = b"Help ("


def key_latencies(pid, fd, window):
    """Presses `?` (help opens; timed until its title is written) and Esc,
    at a human pace, for `window` seconds; returns the latencies in ms."""
    times = []
    end = time.monotonic() + window
    while time.monotonic() < end:
        t0 = time.monotonic()
        os.write(fd, b"?")
        try:
            read_until(fd, HELP_MARK, timeout=10)
            times.append((time.monotonic() - t0) * 1000)
        except TimeoutError:
            times.append(10_000.0)
        os.write(fd, b"\x1b")
        # A human's pause, longer than a frame, so that Esc and the next `?`
        # are never taken in the same frame.
        read_for(fd, random.uniform(0.08, 0.16))
    return times


def percentile(values, p):
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(p / 100 * len(ranked) + 0.5) - 1))]


def main():
    binary, api, vehicles, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    latency = float(sys.argv[5]) if len(sys.argv) > 5 else 0
    if latency:
        api = start_relay(api, latency)
        print(f"through a relay holding each answer {latency:g} ms")
    samples = 200 if latency < 5 else 50
    one = median_request_ms(api, vehicles, samples)
    ideal = vehicles / concurrency * one
    ids = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"board-ids-{os.getpid()}.txt")
    with open(ids, "w") as f:
        f.writelines(f"F{i:04d}\n" for i in range(1, vehicles + 1))
    screen = Screen(110, 32)
    delivered0 = DELIVERED[0]
    first_sum = last_sum = None
    # The most vehicles the summary counted as answered beyond the answers
    # the relay had delivered when the screen was read.
    over = 0
    t0 = time.monotonic()
    pid, fd = spawn([binary, "fleet", "--api", api, "--cars", ids,
                     "--concurrency", str(concurrency)], cols=110, rows=32)
    home = None
    loaded = None
    deadline = t0 + max(120, 4 * ideal / 1000)
    while loaded is None and time.monotonic() < deadline:
        screen.feed(drain_quiet(fd, 0.02))
        delivered = DELIVERED[0] - delivered0
        if (sum_ := summary(screen)) is not None:
            first_sum = first_sum or sum_
            last_sum = sum_
            if latency:
                over = max(over, sum(sum_[:3]) - delivered)
        if home is None:
            # Until the exec, the environment is the probe's own.
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            if b"TERM=xterm-256color" not in env:
                continue
            home = next(e[5:].decode() for e in env if e.startswith(b"HOME="))
        for log in logs(home):
            if MARK in open(log, "rb").read():
                loaded = (time.monotonic() - t0) * 1000
    if loaded is None:
        stop(pid, fd)
        sys.exit("the board never had data in every row")
    print(f"one request (median of {samples}, keep-alive): {one:.3f} ms")
    print(f"{vehicles} vehicles, concurrency {concurrency}: every row has data after "
          f"{loaded:.0f} ms (exec included); ideal {ideal:.0f} ms; ratio {loaded / ideal:.2f}x")
    screen.feed(drain_quiet(fd))
    loaded_sum = summary(screen)
    show = lambda s: ("none read" if s is None else
                      f"{s[0]} ready · {s[1]} in progress · {s[2]} failing · {s[3]} not loaded")
    print(f"summary: first drawn {show(first_sum)}; last while loading {show(last_sum)}; "
          f"once loaded {show(loaded_sum)}")
    if latency:
        print(f"summary while loading: at most {over} vehicles counted beyond the answers "
              f"delivered ({'only vehicles whose list arrived' if over <= 0 else 'COUNTS VEHICLES NOT LOADED'})")
    elif first_sum is not None:
        counted = sum(first_sum[:3])
        print(f"summary on the first frame read: {counted} of {vehicles} counted as answered "
              "(on loopback every answer may be in before it: the runs through the relay check)")
    rss_loaded = hwm_mib(pid)
    print(f"peak RSS once loaded: {rss_loaded:.1f} MiB")
    before = thread_cpu(pid)
    quiet_for(fd, 10)
    print(f"CPU in 10 s, board not live, just loaded: {cpu_used_ms(before, thread_cpu(pid)):.1f} ms")
    # Every age on the board past a minute: the column changes once a minute.
    quiet_for(fd, max(0.0, 62 - (time.monotonic() - t0 - loaded / 1000)))
    before = thread_cpu(pid)
    quiet_for(fd, 10)
    print(f"CPU in 10 s, board not live, every age in minutes: "
          f"{cpu_used_ms(before, thread_cpu(pid)):.1f} ms")
    # Live on: every list's first event arrives at once.
    os.write(fd, b"w")
    live_cpu, live_secs, live_all = settle(pid, fd)
    print(f"live on (w): settled after {live_secs:.2f} s, using {live_cpu:.0f} ms of CPU "
          f"({live_all:.0f} ms with the quiet second after it; 10 ms clock ticks)")
    before = thread_cpu(pid)
    quiet_for(fd, 10)
    print(f"CPU in 10 s, board live, nothing changing: {cpu_used_ms(before, thread_cpu(pid)):.1f} ms")
    # Keys while live turns on: live off and on again, `?` pressed meanwhile
    # for as long as turning live on took (a second at least), until 40
    # keys were timed (10 rounds at most).
    keys = []
    for _ in range(10):
        os.write(fd, b"w")
        settle(pid, fd)
        os.write(fd, b"w")
        keys += key_latencies(pid, fd, max(1.0, live_secs if live_secs < float("inf") else 30))
        settle(pid, fd)
        if len(keys) >= 40:
            break
    print(f"keys while live turns on: `?` to help on screen, p50 {statistics.median(keys):.1f} ms, "
          f"p95 {percentile(keys, 95):.1f} ms, max {max(keys):.1f} ms ({len(keys)} keys)")
    rss_live = hwm_mib(pid)
    print(f"peak RSS after live: {rss_live:.1f} MiB")
    stop(pid, fd)
    os.remove(ids)


if __name__ == "__main__":
    main()
