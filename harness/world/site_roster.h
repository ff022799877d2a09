/*
 * site_roster.h - the trial's roster service (simulated): which site each
 * patient is registered at, kept by a remote system
 *
 * A transfer tells the roster that the patient left one site (discharge)
 * and joined another (admit); an enrolment admits a new patient; a site's
 * report audits the site's roster. Each call costs one simulated round
 * trip. The roster keeps one record per site and cannot take two calls
 * about the same site at once: callers hold that site's lock during the
 * call, and a call that overlaps another one about the same site is
 * counted (site_roster_overlaps), as the real system would corrupt the
 * record.
 *
 * The harness configures and inspects it through site_roster_harness.h.
 *
 * Safety: the calls are thread-safe and take no lock (relaxed atomics only,
 * so they never order the callers' memory accesses).
 */
#ifndef WORLD_SITE_ROSTER_H
#define WORLD_SITE_ROSTER_H

/* The most sites a trial may have. */
#define SITE_ROSTER_MAX_SITES 256

/*
 * Tells the roster that one patient left site. One round trip. Returns 0,
 * or ENOENT when site is not a site of the trial (>= the harness's count).
 */
int site_roster_discharge(unsigned site);

/* Tells the roster that one patient joined site. One round trip; 0 or ENOENT. */
int site_roster_admit(unsigned site);

/*
 * Audits site's roster for a report. One round trip. Returns 0, or ENOENT
 * for an unknown site.
 */
int site_roster_audit(unsigned site);

#endif
