"""Times two commands in turn, A B A B ..., and prints each one's min,
median and max wall time and the median of the per-pair ratios A/B.
Pairing keeps the ratio meaningful when the machine's speed drifts.

    python3 benches/pairs.py PAIRS 'COMMAND A' 'COMMAND B'

The commands are split as a shell splits words and run without a shell;
their output is thrown away and their exit codes are not judged (`steps`
exits 3 while steps remain, as specified)."""

import shlex
import statistics
import subprocess
import sys
import time


def wall(argv):
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main():
    pairs = int(sys.argv[1])
    a, b = shlex.split(sys.argv[2]), shlex.split(sys.argv[3])
    for _ in range(3):  # warm-up, not counted
        wall(a)
        wall(b)
    times_a, times_b, ratios = [], [], []
    for _ in range(pairs):
        ta, tb = wall(a), wall(b)
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(ta / tb)
    for name, times in (("A", times_a), ("B", times_b)):
        print(f"{name}  min {min(times)*1e3:.2f} ms  median {statistics.median(times)*1e3:.2f} ms  max {max(times)*1e3:.2f} ms")
    print(f"ratio A/B over {pairs} pairs: median {statistics.median(ratios):.2f}x  "
          f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x)")


main()
