/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * MESSAGE_IDs of arpd's structured journal entries. They never change once released; each is
 * explained in catalog/arpd.catalog (journalctl -x).
 */

/* Statistics of one interface: INTERFACE= plus one upper-case field per counter (stats.h). */
#define ARPD_MESSAGE_STATS "a7802afdb92e4c38b7d0575f6781ab8f"
/* A known address moved to another MAC: INTERFACE=, ADDRESS=, OLD_LLADDR=, NEW_LLADDR=, SOURCE=. */
#define ARPD_MESSAGE_MAC_CHANGED "361665be6d784243bd9d5cf338216238"
/* The wire or the kernel contradicts a static entry (kept): same fields as MAC_CHANGED. */
#define ARPD_MESSAGE_STATIC_CONFLICT "3108a102e41d42c89121e2af03cda8df"
/* The store could not be written or read: STORE=, ERRNO=. */
#define ARPD_MESSAGE_STORE_ERROR "b1b83557be494b90bf108fee1f6c52b8"
/* Events were rate-limited (hostile segment): INTERFACE=, SUPPRESSED=. */
#define ARPD_MESSAGE_EVENTS_SUPPRESSED "1d7135cfc2c146c48b5222890c065455"
/* A damaged store was moved aside and a new, empty one started: STORE=, STORE_MOVED_TO=, REASON=. */
#define ARPD_MESSAGE_STORE_MOVED_ASIDE "b2d798dff9314c3686b49cc2d375ed21"
