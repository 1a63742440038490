/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <stddef.h>

#include "stats.h"

static const char *const names[_STAT_MAX] = {
#define STAT_NAME(id, name) [STAT_##id] = name,
        ARPD_STATS(STAT_NAME)
#undef STAT_NAME
};

const char *stat_name(enum stat_id id) {
        return (unsigned) id < _STAT_MAX ? names[id] : NULL;
}
