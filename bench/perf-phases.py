#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where the daemon's CPU time goes, by phase of the answer path, from a `perf record -g` of it.

    perf script -i bench/results/perf-W1paced-2000-arpd-0.data | bench/perf-phases.py [ANSWERS]

Each sample is put in the first phase whose rule its call chain matches (rules below, in order).
With ANSWERS (the misses answered while perf ran) it also prints µs per answer: sampled time /
ANSWERS (cpu-clock samples: each stands for its period of CPU time in the daemon's context, the
kernel's work done inside the daemon's system calls included).
"""

import re
import sys

# (phase, test(kernel and user symbols of the chain, user symbols innermost first, DSO of the
# innermost user frame))
RULES = [
        ("wakeup: epoll_wait, context switch", lambda s, u, d: "do_epoll_wait" in s or "schedule" in s or
         "finish_task_switch.isra.0" in s or u[:1] == ["epoll_wait"]),
        ("send: kernel releases the queued datagram (xmit, B's stack in softirq)",
         lambda s, u, d: "__neigh_update" in s and ("__dev_queue_xmit" in s or "neigh_resolve_output" in s or
                                                     "handle_softirqs" in s or "neigh_output" in s)),
        ("send: kernel broadcasts the change (RTM_NEWNEIGH to listeners)",
         lambda s, u, d: ("__neigh_update" in s or "neigh_add" in s) and
         ("__neigh_notify" in s or "rtnl_notify" in s or "netlink_broadcast_filtered" in s)),
        ("send: rtnetlink neigh_add / neigh_update itself",
         lambda s, u, d: "neigh_add" in s or "__neigh_update" in s or "rtnetlink_rcv_msg" in s),
        ("send: sendto() syscall, rest", lambda s, u, d: "__sys_sendto" in s or "__sys_sendmsg" in s or
         u[:1] == ["__libc_sendto"]),
        ("receive: netlink recvmmsg", lambda s, u, d: "do_recvmmsg" in s or "____sys_recvmsg" in s or
         "__sys_recvmsg" in s or u[:1] == ["__recvmmsg"]),
        ("lookup: store (LMDB, staging)", lambda s, u, d: "liblmdb" in d or
         any(x.startswith(("store_", "mdb_", "stage_", "record_decode")) for x in u[:3]) or
         (u[:1] and u[0].startswith("__memcmp"))),
        ("decide: resolver, manager", lambda s, u, d: u[:1] and u[0].startswith(
            ("resolver_", "manager_handle", "learn", "record_", "lladdr_", "in_prefix"))),
        ("build the answer", lambda s, u, d: u[:1] and u[0].startswith(("nl_build", "mnl_nlmsg_put", "mnl_attr_put"))),
        ("parse netlink", lambda s, u, d: "libmnl" in d or (u[:1] and u[0].startswith(
            ("nl_parse", "on_nl_events", "manager_process_nlmsg", "nl_msg_ok", "family_addr_size")))),
        ("event loop (sd-event), clock", lambda s, u, d: "libsystemd" in d or "vdso" in d or (u[:1] and u[0].startswith(
            ("sd_event", "clock_gettime")))),
        ("other user space", lambda s, u, d: bool(d)),
        ("other kernel (interrupts, timers)", lambda s, u, d: True),
]


def samples(lines):
        head = None
        chain = []
        for line in lines:
                if not line.strip():
                        if head:
                                yield head, chain
                        head, chain = None, []
                        continue
                if not line.startswith(("\t", " ")):
                        head = line
                        chain = []
                        continue
                m = re.match(r"\s*[0-9a-f]+ (\S+?)(?:\+0x[0-9a-f]+)? \((.*)\)", line)
                if m:
                        chain.append((m.group(1), m.group(2)))
        if head:
                yield head, chain


def main(argv):
        answers = int(argv[1]) if len(argv) > 1 else 0
        count = {p: 0 for p, _ in RULES}
        period_ns = {p: 0 for p, _ in RULES}
        total = total_ns = 0
        for head, chain in samples(sys.stdin):
                m = re.search(r":\s+(\d+) cpu-clock", head)
                per = int(m.group(1)) if m else 0
                syms = set(sym for sym, _ in chain)
                user = [sym for sym, dso in chain if "kernel" not in dso]
                udso = next((dso for sym, dso in chain if "kernel" not in dso), "")
                for phase, rule in RULES:
                        if rule(syms, user, udso):
                                count[phase] += 1
                                period_ns[phase] += per
                                break
                total += 1
                total_ns += per
        if not total:
                print("no samples")
                return 1
        w = max(len(p) for p, _ in RULES)
        print("%-*s %8s %6s %s" % (w, "phase", "samples", "%", "µs/answer" if answers else ""))
        for phase, _ in RULES:
                if count[phase]:
                        print("%-*s %8d %5.1f%% %s" % (w, phase, count[phase], 100.0 * count[phase] / total,
                                                        "%.1f" % (period_ns[phase] / 1e3 / answers) if answers else ""))
        print("%-*s %8d %5.1f%% %s" % (w, "total", total, 100.0,
                                        "%.1f" % (total_ns / 1e3 / answers) if answers else ""))
        return 0


if __name__ == "__main__":
        sys.exit(main(sys.argv))
