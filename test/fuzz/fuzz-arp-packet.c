/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Fuzzes arp_frame_parse() with untrusted frames: it must never read outside the buffer, and what
 * it accepts must be exactly what the bytes say (checked against the frame layout), and survive
 * a rebuild through arp_frame_build_request().
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what) {
        fprintf(stderr, "fuzz-arp-packet: %s\n", what);
        abort();
}

static uint16_t be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct arp_frame f, g;
        uint8_t buf[ARP_FRAME_LEN];
        int r;

        r = arp_frame_parse(data, size, &f);
        if (r == -EBADMSG)
                return 0;
        if (r != 0)
                fail("unexpected return value");

        /* accepted: the frame must really be a well-formed Ethernet/IPv4 ARP request or reply */
        if (size < ARP_FRAME_LEN || be16(data + 12) != 0x0806 || be16(data + 14) != 1 ||
            be16(data + 16) != 0x0800 || data[18] != 6 || data[19] != 4)
                fail("accepted a malformed frame");
        if (f.op != be16(data + 20) || (f.op != ARP_OP_REQUEST && f.op != ARP_OP_REPLY))
                fail("wrong op");
        if (f.eth_dst.len != 6 || f.eth_src.len != 6 || f.sha.len != 6 || f.tha.len != 6)
                fail("wrong address length");
        if (memcmp(f.eth_dst.bytes, data, 6) != 0 || memcmp(f.eth_src.bytes, data + 6, 6) != 0 ||
            memcmp(f.sha.bytes, data + 22, 6) != 0 || memcmp(&f.spa, data + 28, 4) != 0 ||
            memcmp(f.tha.bytes, data + 32, 6) != 0 || memcmp(&f.tpa, data + 38, 4) != 0)
                fail("field read from the wrong offset");

        /* rebuild it as a request and read it back */
        r = arp_frame_build_request(buf, sizeof(buf), f.sha.bytes, f.spa, f.tpa,
                                    lladdr_is_broadcast(&f.eth_dst) ? NULL : f.eth_dst.bytes);
        if (r != ARP_FRAME_LEN)
                fail("build failed");
        if (arp_frame_parse(buf, (size_t) r, &g) != 0)
                fail("built frame does not parse");
        if (g.op != ARP_OP_REQUEST || !lladdr_equal(&g.sha, &f.sha) || !lladdr_equal(&g.eth_src, &f.sha) ||
            !lladdr_equal(&g.eth_dst, &f.eth_dst) || g.spa.s_addr != f.spa.s_addr || g.tpa.s_addr != f.tpa.s_addr)
                fail("round trip changed the frame");
        if (lladdr_is_broadcast(&f.eth_dst) ? !lladdr_is_zero(&g.tha) : !lladdr_equal(&g.tha, &f.eth_dst))
                fail("wrong target hardware address");
        return 0;
}
