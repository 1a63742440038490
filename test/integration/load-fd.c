/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Test helper: calls LoadFd on an arpd control socket with its standard input passed as is (a
 * pipe stays a pipe: arpctl would copy it to a file first). Usage: load-fd SOCKET NAME
 * Prints "loaded N", or the D-Bus error name and message; exits 0 on success, 1 on an error, 2 on
 * misuse.
 */

#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "control-protocol.h"

int main(int argc, char **argv) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus *bus = NULL;
        char address[4200];
        uint32_t n = 0;
        int r;

        if (argc != 3 || strlen(argv[1]) > 4000) {
                fprintf(stderr, "usage: load-fd SOCKET NAME\n");
                return 2;
        }
        snprintf(address, sizeof(address), "unix:path=%s", argv[1]);
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_INTERFACE, "LoadFd", &e, &reply, "hs",
                                       STDIN_FILENO, argv[2]);
        if (r >= 0)
                r = sd_bus_message_read(reply, "u", &n);
        if (r < 0) {
                printf("%s: %s\n", e.name ? e.name : "error", e.message ? e.message : strerror(-r));
                sd_bus_error_free(&e);
                return 1;
        }
        printf("loaded %u\n", n);
        sd_bus_message_unref(reply);
        sd_bus_unref(bus);
        return 0;
}
