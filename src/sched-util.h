/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The daemon's own CPU scheduling request: a short time slice for the calling thread; and
 * arpctl's for its bulk listings: SCHED_BATCH, so that they never preempt the daemon.
 *
 * arpd sleeps until the kernel reports a miss and must answer it before the application's queued
 * packet can leave: it is a latency-sensitive task that runs briefly and rarely. Under EEVDF
 * (Linux >= 6.12) a SCHED_OTHER task may ask for its own slice (sched_setattr(2),
 * sched_runtime); a task with a shorter slice has an earlier virtual deadline, so when it wakes
 * on a CPU that is running something else (the application that caused the miss, or an unrelated
 * CPU-bound process) it preempts that task at once instead of waiting for the running task's slice
 * (~0.75-3 ms) to end. Its fair share of CPU is unchanged (weight = nice value, not the slice), no
 * privilege is needed, and older kernels ignore the request (or refuse it: E2BIG/EINVAL), which
 * is harmless.
 */

#include <stdint.h>

#define SCHED_SHORT_SLICE_NSEC (100U * 1000U) /* the kernel's minimum custom slice: 0.1 ms */

/* Asks for a slice of slice_nsec for the calling thread (nice value and policy unchanged).
 * 0 or a negative errno (-ENOSYS, -EINVAL, -E2BIG on kernels without custom slices). */
int sched_request_slice(uint64_t slice_nsec);

/* For a client's bulk work (arpctl's online listings): SCHED_BATCH for the calling thread, nice
 * value unchanged. A batch task gets its fair share of CPU but never preempts another task when
 * it wakes (only the scheduler tick does): each page arpd sends wakes its client, and a nice-0
 * client woken on arpd's CPU takes that CPU at once (AF_UNIX wakeups are synchronous, so the
 * kernel prefers the sender's CPU) and keeps it while it decodes the page, up to a slice of
 * ~0.75-3 ms, with a miss waiting behind it (bench/README.md, "Listings and the answer path").
 * A policy other than SCHED_OTHER (set by the operator, e.g. chrt) stays. 0 or a negative errno. */
int sched_batch_self(void);
