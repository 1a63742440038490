/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sched-util.h"

/* struct sched_attr of sched_setattr(2), version 0 (SCHED_ATTR_SIZE_VER0, 48 bytes); glibc 2.36
 * has no wrapper. */
struct sched_attr_v0 {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};
_Static_assert(sizeof(struct sched_attr_v0) == 48, "SCHED_ATTR_SIZE_VER0");

int sched_request_slice(uint64_t slice_nsec) {
#if defined(SYS_sched_getattr) && defined(SYS_sched_setattr)
        struct sched_attr_v0 a = {};

        /* The thread's own attributes (policy, nice, reset-on-fork) go back unchanged. */
        if (syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) < 0)
                return -errno;
        if (a.sched_policy != SCHED_OTHER && a.sched_policy != SCHED_BATCH)
                return -EPERM; /* a real-time or deadline policy chosen by the operator stays */
        a.size = sizeof(a);
        a.sched_runtime = slice_nsec;
        if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
                return -errno;
        return 0;
#else
        return -ENOSYS;
#endif
}

int sched_batch_self(void) {
        struct sched_param p = {};
        int policy = sched_getscheduler(0);

        if (policy < 0)
                return -errno;
        if (policy != SCHED_OTHER)
                return policy == SCHED_BATCH ? 0 : -EPERM;
        if (sched_setscheduler(0, SCHED_BATCH, &p) < 0)
                return -errno;
        return 0;
}
