/*
 * crash_cause.h - the likely cause of a crash or of a tool report, in the
 * learner's words
 *
 * The evidence is what the tools already give: the signal, every thread's
 * stack (eu-stack), ThreadSanitizer's report kind. From it these functions
 * name the function the learner called (pthread_join, not glibc's internal
 * __pthread_clockjoin_ex) and the mistake that usually produces that
 * evidence: a thread reading stack memory of a function that returned, a
 * destroyed or never-initialised mutex or condition variable (or the wait
 * group or queue holding one, used after its destroy), a thread joined
 * twice. A likely cause is a hint, worded as a question; the evidence
 * itself is shown beside it.
 *
 * Ownership: const char * results are static; char * results are malloc'd
 * for the caller. Thread-safe (no state).
 */
#ifndef GRADER_CRASH_CAUSE_H
#define GRADER_CRASH_CAUSE_H

#include <stdbool.h>

/*
 * The public name learners call for a glibc-internal function name, already
 * stripped of leading underscores and "GI_" (feedback.c): "pthread_join"
 * for "pthread_clockjoin_ex", "pthread_cond_wait" for
 * "pthread_cond_wait_common"; NULL for a name that is not an internal one
 * (futex_do_wait, lll_lock_wait, ... map to the call that uses them, so
 * they return "" : the caller keeps looking outwards).
 */
const char *crash_public_name(const char *internal);

/* True for frames of the crash machinery (signal handler, raise, abort). */
bool crash_is_signal_frame(const char *fn);

/*
 * From a crash: the signal, the public function the crashed thread was in
 * (or "" when it crashed in the learner's own code), and whether the
 * learner's frame is the thread's start routine. One line "likely cause:
 * ...", malloc'd, or NULL when the evidence points nowhere.
 */
char *crash_cause(int sig, const char *called, bool in_thread_routine);

/* "likely cause: ..." for a ThreadSanitizer report kind, or NULL. */
const char *crash_tsan_cause(const char *kind);

#endif
