/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The names of arpd's control API, shared by the daemon's endpoint (arpd-control.c) and arpctl:
 * the D-Bus interface io.arpd.Manager1 at /io/arpd/Manager1, served peer-to-peer on one socket per
 * daemon, and its error names and bounds. The whole API (methods, signal, properties, errors) is
 * documented in man/arpctl.8, section "D-BUS INTERFACE".
 */

#define CONTROL_INTERFACE "io.arpd.Manager1"
#define CONTROL_PATH "/io/arpd/Manager1"
#define CONTROL_ERROR_NO_SUCH_ENTRY "io.arpd.Manager1.NoSuchEntry"
#define CONTROL_ERROR_NO_SUCH_INTERFACE "io.arpd.Manager1.NoSuchInterface"

/* Where the daemons' sockets live: CONTROL_RUN_DIR/NAME/bus, NAME the interface ("all" for a
 * daemon serving every interface). */
#define CONTROL_RUN_DIR "/run/arpd"

/* A listing page holds at most this many entries (0 asks for the default). */
#define CONTROL_LIST_LIMIT_MAX 4096
#define CONTROL_LIST_LIMIT_DEFAULT 1024
/* The largest text one Load call takes. */
#define CONTROL_LOAD_MAX (16 * 1024 * 1024)
