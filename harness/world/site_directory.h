/*
 * site_directory.h - the site directory: the service that knows every
 * investigator site of the trial (simulated)
 *
 * Dashboards, the enrolment service and the monitors' app all show a site's
 * name and enrolment next to its number, so they look the site up in the
 * directory, another team's service. One lookup is one slow round trip.
 * A site number the directory does not know gets "site not found", which is
 * an answer, not a failure: the site does not exist. On a bad day the
 * directory fails every lookup it gets (EIO) for a while, and then recovers;
 * the harness decides when.
 *
 * Safety: site_directory_lookup() is thread-safe and takes no lock.
 */
#ifndef WORLD_SITE_DIRECTORY_H
#define WORLD_SITE_DIRECTORY_H

#include <stdint.h>

#define SITE_NAME_MAX 32

/* What the directory says about one site. A plain value: copy it freely. */
struct site_info {
	unsigned site;			/* the site number asked about */
	unsigned enrolled;		/* patients enrolled at the site */
	uint64_t answer;		/* the directory's serial number of this answer:
					   1 for its first answer, 2 for the next, ...;
					   two copies of one answer have the same */
	char name[SITE_NAME_MAX];	/* "Site 0042", NUL-terminated */
};

/*
 * Looks site up in the directory: one simulated round trip, whatever the
 * outcome. Returns 0 and fills *out when the site is listed; ENOENT when it
 * is not ("site not found": *out is left alone); EIO while the directory is
 * failing (*out is left alone). Blocks the calling thread only, for the
 * round trip; takes no lock; out must not be NULL.
 */
int site_directory_lookup(unsigned site, struct site_info *out);

#endif
