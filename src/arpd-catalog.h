/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * MESSAGE_IDs of arpd's structured journal entries. They never change once released; each is
 * explained in catalog/arpd.catalog (journalctl -x).
 */

/* Statistics of one interface: INTERFACE= plus one upper-case field per counter (stats.h). */
#define ARPD_MESSAGE_STATS "a7802afdb92e4c38b7d0575f6781ab8f"
/* Station events (station.h; each also carries STATION_EVENT=, the kind's name):
 * an address never seen before: INTERFACE=, ADDRESS=, NEW_LLADDR=, SOURCE=. */
#define ARPD_MESSAGE_NEW_STATION "dcd08b2123ff4084931eb6e5d0925ed4"
/* the newest MAC again after a long silence: the same plus IDLE_USEC=. */
#define ARPD_MESSAGE_NEW_ACTIVITY "0c12dd76e4c244f09f4b232f22d24024"
/* the second-newest MAC again: INTERFACE=, ADDRESS=, OLD_LLADDR=, NEW_LLADDR=, SOURCE=. */
#define ARPD_MESSAGE_FLIP_FLOP "9033197b052b44188cdd87ebfd86c971"
/* the third-newest or an older MAC again: the same fields. */
#define ARPD_MESSAGE_REUSED_OLD "335c2eb8d8a341508505109fd3c8f73f"
/* The kernel gave up on a binding arpd answered (ANSWERS_LATE): INTERFACE=, ADDRESS=, NEW_LLADDR=. */
#define ARPD_MESSAGE_ANSWER_LATE "45acdd600b9941db8f2f11ded224fa55"
/* A known address moved to a MAC never seen for it ("changed ethernet address"): INTERFACE=,
 * ADDRESS=, OLD_LLADDR=, NEW_LLADDR=, SOURCE=. */
#define ARPD_MESSAGE_MAC_CHANGED "361665be6d784243bd9d5cf338216238"
/* The wire or the kernel contradicts a static entry (kept): same fields as MAC_CHANGED. */
#define ARPD_MESSAGE_STATIC_CONFLICT "3108a102e41d42c89121e2af03cda8df"
/* The store could not be written or read: STORE=, ERRNO=. */
#define ARPD_MESSAGE_STORE_ERROR "b1b83557be494b90bf108fee1f6c52b8"
/* Events were rate-limited (hostile segment): INTERFACE=, SUPPRESSED= (the total), and
 * FOLDED_NEW_STATION=, FOLDED_MAC_CHANGED=, FOLDED_FLIP_FLOP=, ... for each kind that was folded. */
#define ARPD_MESSAGE_EVENTS_SUPPRESSED "1d7135cfc2c146c48b5222890c065455"
/* A damaged store was moved aside and a new, empty one started: STORE=, STORE_MOVED_TO=, REASON=. */
#define ARPD_MESSAGE_STORE_MOVED_ASIDE "b2d798dff9314c3686b49cc2d375ed21"
