/*
 * stamp.c - the name of the current state of the grader's trusted inputs
 * (stamp.h)
 */
#define _GNU_SOURCE
#include "stamp.h"

#include <glob.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "alloc.h"

/* Newest modification time among the files of dir (ns), at least `since`. */
static long long newest_in(const char *dir, const char *suffix, long long since)
{
	char *pattern;
	glob_t g;

	pattern = xasprintf("%s/%s", dir, suffix);
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct stat st;

			if (stat(g.gl_pathv[i], &st) == 0) {
				long long t = (long long)st.st_mtim.tv_sec * 1000000000LL +
					      st.st_mtim.tv_nsec;

				if (t > since)
					since = t;
			}
		}
		globfree(&g);
	}
	free(pattern);
	return since;
}

/*
 * A name for the current state of every trusted input: the harness's
 * sources, the chapters' headers and the grader itself. Objects compiled
 * from an older state live under another name and are never reused.
 */
long long harness_stamp(const char *root)
{
	static const char *const dirs[] = {
		"harness/world", "harness/lib", "harness/bench", "harness/suites",
		"harness/drivers", "harness/scenarios", "harness/hidden", "chapters/*",
	};
	long long stamp = 0;
	struct stat st;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *dir;

		dir = xasprintf("%s/%s", root, dirs[i]);
		stamp = newest_in(dir, i + 1 == sizeof(dirs) / sizeof(dirs[0]) ? "*.h" : "*.[ch]",
				  stamp);
		free(dir);
	}
	if (stat("/proc/self/exe", &st) == 0 &&
	    (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec > stamp)
		stamp = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return stamp;
}
