#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "confine.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static scmp_filter_ctx filter;

#define DENY(call) seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(call), 0)
#define DENY_IF(call, ...) \
	seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(call), __VA_ARGS__)

static int deny_writing_opens(void)
{
	static const int bits[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND };
	int rc = DENY(creat);

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		scmp_datum_t bit = (scmp_datum_t)bits[i];

		rc |= DENY_IF(open, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, bit, bit));
		rc |= DENY_IF(openat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, bit, bit));
	}
	rc |= seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	return rc;
}

static int deny_files(void)
{
	return DENY(mknod) | DENY(mknodat) | DENY(symlink) | DENY(symlinkat) | DENY(link) |
	       DENY(linkat) | DENY(unlink) | DENY(unlinkat) | DENY(rename) | DENY(renameat) |
	       DENY(renameat2) | DENY(mkdir) | DENY(mkdirat) | DENY(rmdir) | DENY(chmod) |
	       DENY(fchmod) | DENY(fchmodat) | DENY(chown) | DENY(fchown) | DENY(lchown) |
	       DENY(fchownat) | DENY(truncate) | DENY(ftruncate) | DENY(memfd_create) |
	       DENY(chdir) | DENY(fchdir) | DENY(chroot) | DENY(mount) | DENY(umount2) |
	       DENY(pivot_root);
}

static int deny_processes(void)
{
	scmp_datum_t pid = (scmp_datum_t)getpid();
	static const int stops[] = { SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU };
	int rc = DENY(fork) | DENY(vfork) | DENY(execve) | DENY(execveat) | DENY(ptrace) |
		 DENY(process_vm_readv) | DENY(process_vm_writev) | DENY(tkill) |
		 DENY(kill) | DENY(unshare) | DENY(setns);

	rc |= DENY_IF(clone, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	rc |= seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* A thread may signal its own process's threads, never stop them. */
	rc |= DENY_IF(tgkill, 1, SCMP_A0(SCMP_CMP_NE, pid));
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		rc |= DENY_IF(tgkill, 1, SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)stops[i]));
	rc |= DENY_IF(rt_tgsigqueueinfo, 1, SCMP_A0(SCMP_CMP_NE, pid));
	rc |= DENY(rt_sigqueueinfo);
	return rc;
}

static int deny_system(void)
{
	/* Unconnected local sockets are descriptors the world hands out. */
	return DENY_IF(socket, 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)) | DENY(connect) | DENY(bind) | DENY(listen) |
	       DENY(accept) | DENY(accept4) | DENY(setrlimit) | DENY(prlimit64) |
	       DENY(setpriority) | DENY(setuid) | DENY(setgid) | DENY(setreuid) |
	       DENY(setregid) | DENY(setresuid) | DENY(setresgid) | DENY(setgroups) |
	       DENY(setfsuid) | DENY(setfsgid) | DENY(capset) | DENY(personality) |
	       DENY(clock_settime) | DENY(settimeofday) | DENY(adjtimex) |
	       DENY(clock_adjtime) | DENY(io_uring_setup) | DENY(io_uring_enter) |
	       DENY(io_uring_register) | DENY(bpf) | DENY(perf_event_open) |
	       DENY(userfaultfd) | DENY(keyctl) | DENY(add_key) | DENY(request_key) |
	       DENY(init_module) | DENY(finit_module) | DENY(kexec_load) | DENY(reboot) |
	       DENY(swapon) | DENY(swapoff) | DENY(acct) | DENY(quotactl) |
	       DENY_IF(ioctl, 1, SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)TIOCSTI)) |
	       DENY_IF(prctl, 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_PTRACER)) |
	       DENY_IF(prctl, 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE)) |
	       DENY_IF(mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) |
	       DENY_IF(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) |
	       DENY_IF(pkey_mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
}

bool confine_prepare(char *why, size_t size)
{
	if (filter)
		return true;
	/*
	 * glibc loads libgcc_s for pthread_exit() and pthread_cancel() on
	 * first use; a confined thread could not map it executable.
	 */
	dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
	filter = seccomp_init(SCMP_ACT_ALLOW);
	if (!filter) {
		snprintf(why, size, "seccomp_init failed");
		return false;
	}
	if (deny_writing_opens() | deny_files() | deny_processes() | deny_system()) {
		snprintf(why, size, "a seccomp rule could not be added");
		seccomp_release(filter);
		filter = NULL;
		return false;
	}
	return true;
}

bool confine_thread(char *why, size_t size)
{
	int rc;

	if (!filter) {
		snprintf(why, size, "no filter was prepared");
		return false;
	}
	rc = seccomp_load(filter);
	if (rc != 0) {
		snprintf(why, size, "seccomp_load: %s", strerror(-rc));
		return false;
	}
	return true;
}
