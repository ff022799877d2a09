/*
 * verdict.h - how a scenario tells the grader its result
 *
 * Criterion counts a test that ends with exit(0) as passed, and its own
 * timeout kills a test without showing where it hung. So each scenario
 * reports through the channel (channel.h), written by the harness only, with
 * a token learner code never sees:
 *	begin	the scenario started (its name)
 *	end	it returned: "pass", or "fail\t<clause>\t<message>"
 *	early	the thread running it ended before it returned (pthread_exit)
 *	crash	a fatal signal arrived: its number
 *	timeout	the watchdog fired: "seconds<TAB>resident MiB"
 *	stacks	every thread's stack (after a crash or timeout)
 *	leak	"threads<TAB>descriptors" left over (with TC_LEAK_CHECK)
 *	leakstacks	the stacks of the threads this scenario left over
 *	seccomp	"on", or "off<TAB>reason" (once per process)
 * A scenario with "begin" and none of the others ended early (exit called).
 *
 * Each scenario runs in a thread of its own, confined by the seccomp filter
 * (confine.h); the calling thread and the watchdog stay unconfined, so the
 * watchdog can run eu-stack and a sanitizer can check for leaks at exit.
 *
 * Safety: verdict_run() runs one scenario; call it from one thread at a
 * time. The first call starts a watchdog thread that lives as long as the
 * process and shares only atomics with the others.
 */
#ifndef HARNESS_VERDICT_H
#define HARNESS_VERDICT_H

#include <stddef.h>

#include "scenario.h"

/*
 * Runs scenario `index` with the watchdog armed for its timeout (times
 * TC_TIMEOUT_FACTOR) and crash handlers installed. If the scenario hangs,
 * the watchdog reports it and ends the process with status 3; it runs
 * eu-stack first unless TC_NO_STACKS is set.
 */
void verdict_run(size_t index, struct check *c, const struct scenario_env *env);

/* Sends "done" with the number of scenarios run: the driver reached its end. */
void verdict_done(size_t count);

#endif
