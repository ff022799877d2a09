/*
 * sandbox.h - which layers of the sandbox (proc.h) actually hold here
 *
 * The namespaces need privileges a container may not grant (CAP_SYS_ADMIN);
 * a grader that is not root has no separate uid. Rather than assume, the
 * grader asks the system once, in a child that tries each step, and every
 * report states what was active: a layer that is missing is a note (or,
 * with --require-sandbox, an error), never silently skipped.
 *
 * Layers: a uid of its own (when root) with a process limit; a network
 * namespace; a mount namespace that hides solutions, tests and .git and
 * gives private /tmp and /dev/shm; the kernel's seccomp (the filter itself
 * is installed by the harness in each run and reported per gate); resource
 * limits and a process group (always).
 *
 * Safety: sandbox_probe() is thread-safe (it caches its answer per uid
 * under a lock).
 */
#ifndef GRADER_SANDBOX_H
#define GRADER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

struct sandbox_status {
	bool own_uid;		/* learner code runs as a uid of its own */
	bool namespaces;	/* network and mount namespaces, private /tmp */
	bool seccomp;		/* the kernel supports seccomp filters */
	bool private_tmp;	/* fresh /tmp and /dev/shm */
	char text[768];		/* "active: ...; missing: ..." for reports */
};

/* Tries each layer of s in a child; fills *out. */
void sandbox_probe(const struct sandbox *s, struct sandbox_status *out);

/* True when every layer is active. */
bool sandbox_complete(const struct sandbox_status *st);

#endif
