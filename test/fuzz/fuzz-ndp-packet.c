/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Fuzzes ndp_frame_parse() with untrusted frames: it must never read outside the buffer; what it
 * accepts must carry a correct checksum, hop limit 255, code 0 and a non-multicast target, and
 * its fields must be the bytes at their offsets; what it teaches must survive a rebuild through
 * ndp_build_ns().
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndp-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what) {
        fprintf(stderr, "fuzz-ndp-packet: %s\n", what);
        abort();
}

/* Returns true if the frame was accepted (all invariants held). */
static bool check(const uint8_t *data, size_t size) {
        struct ndp_frame f, g;
        struct in6_addr addr, src, dst;
        struct lladdr mac;
        uint8_t buf[NDP_NS_PROBE_LEN];
        size_t plen;
        int r;

        r = ndp_frame_parse(data, size, &f);
        if (r == -EBADMSG)
                return false;
        if (r != 0)
                fail("unexpected return value");

        if (size < NDP_FRAME_MIN || data[12] != 0x86 || data[13] != 0xdd || (data[14] >> 4) != 6 ||
            data[20] != 58 || data[21] != 255 || data[55] != 0 || (data[54] != 135 && data[54] != 136))
                fail("accepted a frame with a wrong header");
        plen = (size_t) data[18] << 8 | data[19];
        if (plen < 24 || 54 + plen > size)
                fail("accepted a wrong payload length");
        memcpy(&src, data + 22, 16);
        memcpy(&dst, data + 38, 16);
        if (ndp_icmp6_checksum(&src, &dst, data + 54, plen) != 0)
                fail("accepted a bad checksum");
        if (!IN6_ARE_ADDR_EQUAL(&f.src, &src) || !IN6_ARE_ADDR_EQUAL(&f.dst, &dst) ||
            memcmp(&f.target, data + 62, 16) != 0 || f.type != data[54] ||
            memcmp(f.eth_dst.bytes, data, 6) != 0 || memcmp(f.eth_src.bytes, data + 6, 6) != 0)
                fail("field read from the wrong offset");
        if (IN6_IS_ADDR_MULTICAST(&f.target))
                fail("accepted a multicast target");
        if (f.has_lladdr && f.lladdr.len != 6)
                fail("link-layer option not 6 bytes");

        if (!ndp_frame_binding(&f, &addr, &mac))
                return true;
        if (f.type == NDP_TYPE_NS && IN6_IS_ADDR_UNSPECIFIED(&f.src))
                fail("a DAD probe taught a binding");

        /* Rebuild: an NS from the learned binding, for the frame's target, must parse back. */
        if (IN6_IS_ADDR_UNSPECIFIED(&f.target))
                return true; /* the builder refuses it, rightly */
        r = ndp_build_ns(buf, sizeof(buf), mac.bytes, &addr, &f.target, NULL);
        if (r == -EINVAL && IN6_IS_ADDR_MULTICAST(&addr))
                return true;
        if (r != NDP_NS_PROBE_LEN)
                fail("build failed");
        if (ndp_frame_parse(buf, (size_t) r, &g) != 0)
                fail("built frame does not parse");
        if (g.type != NDP_TYPE_NS || !IN6_ARE_ADDR_EQUAL(&g.src, &addr) || !IN6_ARE_ADDR_EQUAL(&g.target, &f.target) ||
            !g.has_lladdr || !lladdr_equal(&g.lladdr, &mac) || !lladdr_equal(&g.eth_src, &mac))
                fail("round trip changed the binding");
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct in6_addr src, dst;
        uint8_t *copy;
        size_t plen;
        uint16_t c;

        if (check(data, size))
                return 0;

        /* Random bytes almost never carry a valid checksum, which would hide every later check:
         * try again with the checksum made right (in an exact-size heap copy). */
        if (size < NDP_FRAME_MIN)
                return 0;
        plen = (size_t) data[18] << 8 | data[19];
        if (plen < 4 || 54 + plen > size)
                return 0;
        copy = malloc(size);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        memcpy(&src, copy + 22, 16);
        memcpy(&dst, copy + 38, 16);
        copy[56] = copy[57] = 0;
        c = ndp_icmp6_checksum(&src, &dst, copy + 54, plen);
        copy[56] = (uint8_t) (c >> 8);
        copy[57] = (uint8_t) c;
        (void) check(copy, size);
        free(copy);
        return 0;
}
