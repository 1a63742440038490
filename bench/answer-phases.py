#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where each paced miss's microseconds go, send to resolved, from arpd's own stamps.

    git apply bench/answer-trace.patch          # in a scratch copy of the tree, never committed
    meson setup b --buildtype=release && ninja -C b src/arpd
    ARPD=$PWD/b/src/arpd ARPD_TRACE=/tmp/trace.txt BENCH_DEBUG=1 sudo -E bench/run --quick W1paced
    bench/answer-phases.py bench/results/debug-W1paced-1000-arpd-1.json /tmp/trace.txt

The patch makes arpd stamp (CLOCK_REALTIME, the clock of the application's send stamp and of the
peer's receive stamp) the entry and return of each recvmmsg() on the event socket, each miss, and
the entry and return of the answers' sendmsg(); arpd writes them at exit (the last arpd of the
run: use the last repetition's debug file). For every answered miss this prints the phases:
  wakeup   the application's send stamp -> arpd calls recvmmsg() (the rest of the application's
           sendto() up to the kernel's RTM_GETNEIGH, the scheduler's wakeup, the context switch,
           epoll_wait() returning, sd-event's dispatch)
  receive  recvmmsg()
  parse    parsing and dispatch up to the miss handler
  decide   store lookup, resolver, building the answer, up to sendmsg()
  release  sendmsg() -> the datagram enters B (the kernel's neigh_add up to the release of the
           queued datagram and its transmission to B)
  after    the rest of sendmsg() (the kernel's RTM_NEWNEIGH notification and return)
Clock reads cost ~30 ns each (vDSO); the stamps add no system call.
"""

import ipaddress
import json
import statistics
import sys

W1_BASE = "198.18.64.0"  # bench.py's first W1 target (target i is W1_BASE + i)


def main():
        if len(sys.argv) < 3:
                sys.exit(__doc__)
        d = json.load(open(sys.argv[1]))
        base = int(ipaddress.ip_address(sys.argv[3] if len(sys.argv) > 3 else W1_BASE))
        arrived = sorted((int(i), ts, ta) for i, (ts, ta) in d["peer"]["arrived"].items())
        tr = [tuple(map(int, line.split())) for line in open(sys.argv[2])]
        first_miss = {}
        for k, (t, what, arg) in enumerate(tr):
                if what == 5 and arg - base not in first_miss:
                        first_miss[arg - base] = k
        rows = []
        for i, ts, ta in arrived:
                k = first_miss.get(i)
                if k is None:
                        continue
                j = k
                while j > 0 and tr[j][1] != 2:
                        j -= 1
                t_recvd = tr[j][0]
                while j > 0 and tr[j][1] != 1:
                        j -= 1
                t_recv = tr[j][0]
                j = k
                while j < len(tr) and tr[j][1] != 3:
                        j += 1
                if j >= len(tr):
                        continue
                t_send = tr[j][0]
                while j < len(tr) and tr[j][1] != 4:
                        j += 1
                if j >= len(tr):
                        continue
                t_sent = tr[j][0]
                if not (ts <= t_recv <= t_send <= ta <= t_sent):
                        continue        # not released inside our sendmsg (another path): left out
                rows.append(((t_recv - ts) / 1e3, (t_recvd - t_recv) / 1e3, (tr[k][0] - t_recvd) / 1e3,
                             (t_send - tr[k][0]) / 1e3, (ta - t_send) / 1e3, (t_sent - ta) / 1e3, (ta - ts) / 1e3))
        names = ("wakeup", "receive", "parse", "decide", "release", "after (not latency)", "send -> resolved")
        print("%d of %d answered misses traced" % (len(rows), len(arrived)))
        print("%-22s %8s %8s %8s %8s" % ("phase (µs)", "p50", "p90", "p99", "mean"))
        for c, name in enumerate(names):
                v = sorted(r[c] for r in rows)
                if not v:
                        continue
                n = len(v)
                print("%-22s %8.1f %8.1f %8.1f %8.1f" % (name, v[n // 2], v[n * 9 // 10], v[n * 99 // 100], statistics.mean(v)))


if __name__ == "__main__":
        main()
