/*
 * confine.h - a seccomp filter for the threads that run learner code
 *
 * confine_prepare() builds the filter once (libseccomp); confine_thread()
 * loads it into the calling thread, which passes it on to every thread it
 * creates. Threads started before that (the verdict watchdog, the driver's
 * main thread) stay free: they dump stacks with eu-stack and run the leak
 * check at exit, which need fork, exec and ptrace.
 *
 * What a confined thread may not do (the call fails with EPERM): create
 * processes (fork, vfork, clone without CLONE_THREAD; clone3 reports ENOSYS
 * so glibc falls back to clone), exec, open a file for writing or create
 * one, make links, FIFOs, directories or device nodes, rename, remove or
 * change files, use network sockets (an unconnected AF_UNIX socket, which the world hands
 * out as a descriptor, is allowed; connect, bind and listen are not), ptrace or another process's memory, signal
 * another process or stop itself, map or protect memory as executable,
 * change limits, ids, namespaces, mounts or clocks, io_uring, bpf,
 * perf_event_open, memfd_create, userfaultfd, keyrings, TIOCSTI.
 * Read-only opens stay allowed: the sanitizers read /proc/self/maps.
 *
 * Safety: confine_prepare() runs once, before any learner code, from one
 * thread; confine_thread() may be called from any thread afterwards.
 */
#ifndef HARNESS_CONFINE_H
#define HARNESS_CONFINE_H

#include <stdbool.h>
#include <stddef.h>

/* Builds the filter. False, with the reason in why, when it cannot. */
bool confine_prepare(char *why, size_t size);

/* Loads the filter into the calling thread. False with why on failure. */
bool confine_thread(char *why, size_t size);

#endif
