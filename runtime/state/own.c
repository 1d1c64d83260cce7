/*
 * own.c - the state file as a file: the lock that gives it one process at
 * a time, what a path holds before SQLite is let near it, and the modes of
 * the file and its -wal and -shm (tokens live in them: 0600).  It never
 * opens the state file itself (own_kind says why).
 *
 * The lock is an fcntl() write lock on the whole of PATH.lock, a file of
 * its own next to the state file that nothing else opens, so that SQLite
 * (which takes and drops fcntl locks of its own on the state file, and
 * closes its descriptors when it likes) can never release it.  The kernel
 * drops it when the process ends, kill -9 included; F_GETLK names the
 * holder's pid, and the file holds it as text too (another pid namespace).
 * fcntl locks belong to a process, and closing any descriptor of the file
 * drops them: so a process opens PATH.lock once, whatever the number of
 * its handles on the state file (the daemon has two), and closes it when
 * the last goes (a table of the locks held, by device and inode).  A
 * child after fork() holds none of its parent's: its entries are stale and
 * are forgotten (their descriptors closed) before it takes a lock.
 * This file calls nothing else of the state layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_int.h"

#define OWN_MAX 16

typedef struct {
	dev_t dev;
	ino_t ino;
	int fd;
	int refs;       /* 0: a free slot */
	pid_t pid;      /* the process that took it (not a child of it) */
} own_slot;

static own_slot slots[OWN_MAX];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

/* The entries a parent left to this child: its locks are not ours. */
static void
forget_stale(pid_t me)
{
	for (int i = 0; i < OWN_MAX; i++)
		if (slots[i].refs && slots[i].pid != me) {
			close(slots[i].fd);
			slots[i].refs = 0;
		}
}

/* The pid PATH.lock names in its text (a holder in another pid namespace
 * is 0 to F_GETLK). */
static long
pid_in_file(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int
own_lock_take(const char *path, int *ref, char *err, size_t n)
{
	char lp[4096];
	struct stat sb;
	pid_t me = getpid();
	int rc = 0;

	*ref = -1;
	if ((size_t)snprintf(lp, sizeof lp, "%s.lock", path) >= sizeof lp) {
		snprintf(err, n, "%s: the path is too long", path);
		return STATE_EUSAGE;
	}
	pthread_mutex_lock(&slots_mu);
	forget_stale(me);
	if (stat(lp, &sb) == 0)
		for (int i = 0; i < OWN_MAX; i++)
			if (slots[i].refs && slots[i].dev == sb.st_dev && slots[i].ino == sb.st_ino) {
				slots[i].refs++; /* this process holds it already */
				*ref = i;
				goto out;
			}
	int slot = -1;
	for (int i = 0; i < OWN_MAX && slot < 0; i++)
		if (!slots[i].refs)
			slot = i;
	if (slot < 0) {
		snprintf(err, n, "%s: more than %d state files open in one process", path, OWN_MAX);
		rc = STATE_EUSAGE;
		goto out;
	}
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, n, "cannot open the lock %s: %s", lp, strerror(errno));
		rc = STATE_EDB;
		goto out;
	}
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;
		long holder = 0;

		if (e == EACCES || e == EAGAIN) {
			struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

			if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK)
				holder = (long)q.l_pid;
			if (holder <= 0)
				holder = pid_in_file(fd);
			snprintf(err, n, "the state file %s is in use by process %ld (it holds %s): one "
				"process at a time syncs a state file; stop that one, or wait for it to "
				"finish", path, holder, lp);
			rc = STATE_ELOCKED;
		} else {
			snprintf(err, n, "cannot lock %s: %s", lp, strerror(e));
			rc = STATE_EDB;
		}
		close(fd);
		goto out;
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)me);
	if (fstat(fd, &sb) != 0 || ((sb.st_mode & 077) && fchmod(fd, 0600) != 0) ||
	    ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		snprintf(err, n, "cannot write the lock %s: %s", lp, strerror(errno));
		close(fd); /* drops the lock */
		rc = STATE_EDB;
		goto out;
	}
	slots[slot] = (own_slot){ sb.st_dev, sb.st_ino, fd, 1, me };
	*ref = slot;
out:
	pthread_mutex_unlock(&slots_mu);
	return rc;
}

void
own_lock_drop(int ref)
{
	if (ref < 0 || ref >= OWN_MAX)
		return;
	pthread_mutex_lock(&slots_mu);
	if (slots[ref].refs && slots[ref].pid == getpid() && --slots[ref].refs == 0)
		close(slots[ref].fd); /* the last handle: the lock goes */
	pthread_mutex_unlock(&slots_mu);
}

int
own_kind(const char *path, char *err, size_t n)
{
	struct stat sb;

	/* stat() only: a descriptor of the file opened and closed here would drop
	 * every fcntl lock this process holds on it, SQLite's for a handle
	 * already open (another reader would then take the -wal for its own
	 * and delete it); what the file holds is read through SQLite's own
	 * descriptor (sqlite.c) */
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return OWN_NONE;
		snprintf(err, n, "%s: %s", path, strerror(errno));
		return STATE_EDB;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, n, "%s is not a regular file", path);
		return OWN_OTHER;
	}
	return sb.st_size == 0 ? OWN_EMPTY : OWN_FILE;
}

/* One file to 0600; a sentence into note when it was wider. */
static void
tighten(const char *p, char *note, size_t n)
{
	struct stat sb;
	size_t used = strlen(note);

	if (stat(p, &sb) != 0 || !(sb.st_mode & 077) || used + 1 >= n)
		return;
	int mode = (int)(sb.st_mode & 0777);
	if (chmod(p, 0600) == 0)
		snprintf(note + used, n - used, "%s%s was mode %04o, readable by others (it holds "
			"tokens): now 0600", used ? "; " : "", p, mode);
	else
		snprintf(note + used, n - used, "%s%s is mode %04o, readable by others (it holds "
			"tokens), and cannot be made 0600: %s", used ? "; " : "", p, mode,
			strerror(errno));
}

void
own_modes(const char *path, char *note, size_t n)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[4096];

	for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++)
		if ((size_t)snprintf(p, sizeof p, "%s%s", path, sfx[i]) < sizeof p)
			tighten(p, note, n);
}

int
own_create(const char *path, char *err, size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	/* 0600 whatever the umask; SQLite gives the -wal and -shm it creates the
	 * mode of the database file */
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		snprintf(err, n, "cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return STATE_EDB;
	}
	close(fd);
	return 0;
}

int
own_publish(const char *tmp, const char *path, int replace, char *err, size_t n)
{
	if (replace ? rename(tmp, path) != 0 : link(tmp, path) != 0 || unlink(tmp) != 0) {
		snprintf(err, n, "cannot make %s: %s", path, strerror(errno));
		return STATE_EDB;
	}
	/* the new name survives a power cut */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	int fd = open(dirname(dir), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}
