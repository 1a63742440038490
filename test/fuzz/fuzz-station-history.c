/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Fuzzes the decoding of a stored MAC history (station.h), as another process or a damaged page
 * could leave it in the store's "history" table. What decodes must encode back to the same bytes
 * and hold 2..STATION_HISTORY_MAX distinct MACs of 1..LLADDR_MAX bytes; what is refused is -EBADMSG or
 * -EPROTONOSUPPORT (a version byte other than ours) and leaves the output alone. A decoded history
 * then goes through the classifier, with a record it belongs to and one it does not.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what) {
        fprintf(stderr, "fuzz-station-history: %s\n", what);
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct station_history h, untouched;
        uint8_t buf[STATION_HISTORY_ENCODED_MAX];
        int r, n;

        memset(&h, 0xa5, sizeof(h));
        untouched = h;
        r = station_history_decode(data, size, &h);
        if (r < 0) {
                if (r != -EBADMSG && r != -EPROTONOSUPPORT)
                        fail("an error other than -EBADMSG or -EPROTONOSUPPORT");
                if (r == -EPROTONOSUPPORT && (size == 0 || data[0] == STATION_HISTORY_VERSION))
                        fail("-EPROTONOSUPPORT for our own version");
                if (memcmp(&h, &untouched, sizeof(h)) != 0)
                        fail("a refused value changed the output");
                return 0;
        }
        if (h.n < 2 || h.n > STATION_HISTORY_MAX)
                fail("a decoded history with a bad count");
        for (unsigned i = 0; i < h.n; i++)
                if (h.mac[i].lladdr.len == 0 || h.mac[i].lladdr.len > LLADDR_MAX)
                        fail("a decoded MAC of a bad length");
        n = station_history_encode(&h, buf, sizeof(buf));
        if (n < 0 || (size_t) n != size || memcmp(buf, data, size) != 0)
                fail("decode then encode does not give the same bytes");

        struct record own = { .state = RECORD_POSITIVE, .source = SOURCE_ARP, .lladdr = h.mac[0].lladdr,
                              .first_seen = h.stamp, .last_seen = h.mac[0].last_seen };
        struct record other = own;
        struct station_result res;
        const struct station_options o = { .new_activity_after = 60 * USEC_PER_SEC };

        other.first_seen = h.stamp + 1;
        for (unsigned i = 0; i < h.n; i++) {
                station_classify(&o, &own, &h, &h.mac[i].lladdr, h.mac[0].last_seen + 1, &res);
                if (res.history.n < 1 || res.history.n > STATION_HISTORY_MAX ||
                    !lladdr_equal(&res.history.mac[0].lladdr, &h.mac[i].lladdr))
                        fail("the classified MAC is not the newest of the history after it");
                if (i == 0   ? res.kind != STATION_NONE && res.kind != STATION_NEW_ACTIVITY
                    : i == 1 ? res.kind != STATION_FLIP_FLOP
                             : res.kind != STATION_REUSED_OLD)
                        fail("an unexpected kind for a MAC of the history");
                station_classify(&o, &other, &h, &h.mac[i].lladdr, h.mac[0].last_seen + 1, &res);
                if (res.history.n > 2)
                        fail("a history with another stamp was used");
        }
        return 0;
}
