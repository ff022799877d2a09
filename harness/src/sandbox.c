#define _GNU_SOURCE
#include "sandbox.h"

#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum { HAS_NAMESPACES = 1, HAS_UID = 2, HAS_SECCOMP = 4 };

/* In a child: the same steps enter_sandbox() takes; the exit status says which held. */
static int probe_bits(unsigned uid)
{
	pid_t child = fork();
	int status = 0;

	if (child == 0) {
		int bits = 0;
		bool root = geteuid() == 0;

		if (unshare(root ? CLONE_NEWNS | CLONE_NEWNET :
				   CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) == 0 &&
		    (!root || (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
			       mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
				     "size=1m,mode=1777") == 0)))
			bits |= HAS_NAMESPACES;
		if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0)
			bits |= HAS_SECCOMP;
		if (root && uid && setgroups(0, NULL) == 0 && setgid(uid) == 0 && setuid(uid) == 0 &&
		    getuid() == uid)
			bits |= HAS_UID;
		_exit(bits);
	}
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return 0;
	return WEXITSTATUS(status);
}

void sandbox_probe(const struct sandbox *s, struct sandbox_status *out)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int cached = -1;		/* guarded by lock */
	static unsigned cached_uid;	/* guarded by lock */
	char active[256] = "", missing[256] = "";
	int bits;

	pthread_mutex_lock(&lock);
	if (cached < 0 || cached_uid != s->uid) {
		cached = probe_bits(s->uid);
		cached_uid = s->uid;
	}
	bits = cached;
	pthread_mutex_unlock(&lock);

	memset(out, 0, sizeof(*out));
	out->namespaces = bits & HAS_NAMESPACES;
	out->own_uid = bits & HAS_UID;
	out->seccomp = bits & HAS_SECCOMP;
	out->private_tmp = out->namespaces && s->private_tmp;
#define LAYER(cond, name) \
	strcat((cond) ? active : missing, *((cond) ? active : missing) ? ", " name : name)
	LAYER(out->own_uid, "a uid of its own with a process limit");
	LAYER(out->namespaces, "network and mount namespaces (hidden solutions)");
	LAYER(out->namespaces && s->private_tmp, "private /tmp and /dev/shm");
	LAYER(out->seccomp, "seccomp system-call filter");
#undef LAYER
	snprintf(out->text, sizeof(out->text), "active: %s, resource limits, own process "
		 "group%s%s", *active ? active : "none", *missing ? "; missing: " : "", missing);
}

bool sandbox_complete(const struct sandbox_status *st)
{
	return st->own_uid && st->namespaces && st->seccomp;
}
