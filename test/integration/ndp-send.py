#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Sends one hand-made IPv6 neighbour discovery frame out of an interface (AF_PACKET, root), so the
# integration tests can put exactly the NS/NA they need on the wire, well-formed or not.
#
#   ndp-send.py IFACE na|ns ETH_SRC SRC DST TARGET [LLADDR|-] [options]
#     --eth-dst MAC      Ethernet destination (default: derived from DST)
#     --flags N          NA flags byte (default 0x20, Override)
#     --hops N           IPv6 hop limit (default 255)
#     --bad-checksum     flip one bit of the ICMPv6 checksum
#     --vlan VID         insert an in-band VLAN tag with this VID (0: a priority tag)
#     --tpid N           the tag's TPID (default 0x8100, 802.1Q; 0x88a8 is 802.1ad)
# LLADDR goes into the SLLA (ns) or TLLA (na) option; "-" leaves the option out.
import argparse, socket, struct, sys


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise ValueError("not a MAC: " + s)
    return b


def checksum(src, dst, msg):
    data = src + dst + struct.pack("!I", len(msg)) + b"\0\0\0\x3a" + msg
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("kind", choices=["na", "ns"])
    p.add_argument("eth_src")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("target")
    p.add_argument("lladdr", nargs="?", default="-")
    p.add_argument("--eth-dst")
    p.add_argument("--flags", type=lambda x: int(x, 0), default=0x20)
    p.add_argument("--hops", type=int, default=255)
    p.add_argument("--bad-checksum", action="store_true")
    p.add_argument("--vlan", type=int)
    p.add_argument("--tpid", type=lambda x: int(x, 0), default=0x8100)
    a = p.parse_args()

    src = socket.inet_pton(socket.AF_INET6, a.src)
    dst = socket.inet_pton(socket.AF_INET6, a.dst)
    target = socket.inet_pton(socket.AF_INET6, a.target)
    if a.eth_dst:
        eth_dst = mac(a.eth_dst)
    elif dst[0] == 0xFF:
        eth_dst = b"\x33\x33" + dst[12:]
    else:
        sys.exit("--eth-dst is needed for a unicast destination")

    kind = 136 if a.kind == "na" else 135
    flags = a.flags if a.kind == "na" else 0
    opts = b""
    if a.lladdr != "-":
        opts = bytes([2 if a.kind == "na" else 1, 1]) + mac(a.lladdr)
    msg = bytes([kind, 0, 0, 0, flags, 0, 0, 0]) + target + opts
    c = checksum(src, dst, msg)
    if a.bad_checksum:
        c ^= 1
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    ip = struct.pack("!IHBB", 0x60000000, len(msg), 58, a.hops) + src + dst
    tag = b"" if a.vlan is None else struct.pack("!HH", a.tpid, a.vlan)
    frame = eth_dst + mac(a.eth_src) + tag + b"\x86\xdd" + ip + msg

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    s.send(frame)


main()
