/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Vendor names for link-layer addresses from the IEEE registries that Debian's package ieee-data
 * installs in /usr/share/ieee-data (another directory: $ARPCTL_IEEE_DATA_DIR): oui.csv (MA-L, 24-bit
 * prefixes), mam.csv (MA-M, 28 bits) and oui36.csv (MA-S, 36 bits), or, without oui.csv, the
 * MA-L lines of oui.txt ("00-22-72   (hex)<TAB><TAB>NAME"). The longest prefix wins. Only
 * 6-byte, globally administered unicast addresses have a vendor. Without the files there is
 * simply no vendor: that is not an error.
 *
 * Names are kept as the registry spells them, with control characters replaced by '?' (they
 * end up on a terminal). The files are read once, whole (a few MiB), when --vendor asks.
 */

#include "addr-util.h"

typedef struct VendorDb VendorDb;

/* *ret is NULL when no registry file is there. 0, or -ENOMEM / a read error (also logged). */
int vendor_db_load(const char *dir, VendorDb **ret);
VendorDb *vendor_db_free(VendorDb *db);
/* The vendor of ll, or NULL (unknown, no registry, db NULL). Valid until vendor_db_free(). */
const char *vendor_lookup(const VendorDb *db, const struct lladdr *ll);
/* The directory: $ARPCTL_IEEE_DATA_DIR or /usr/share/ieee-data. */
const char *vendor_db_dir(void);
