/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <net/if.h>
#include <string.h>

#include "ifname-util.h"

bool ifname_valid_n(const char *s, size_t n) {
        if (!s || n == 0 || n >= IFNAMSIZ)
                return false;
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                /* <= ' ' covers NUL, the control characters and every isspace() byte */
                if (c <= ' ' || c == 0x7f || c == '/' || c == ':')
                        return false;
        }
        return true;
}

bool ifname_valid(const char *s) {
        return s && ifname_valid_n(s, strnlen(s, IFNAMSIZ));
}
