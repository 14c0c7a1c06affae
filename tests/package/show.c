/* Test application for tests/cli/package.sh: prints its arguments, its
 * environment, its working directory (relative to the unpacked tree), a file
 * read from there and the mode of the tree's root; exits with $EXIT. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char exe[4096], cwd[4096], line[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *root;
	struct stat st;
	size_t rl;
	FILE *f;

	for (int i = 0; i < argc; i++)
		printf("arg %s\n", argv[i]);
	for (char **e = environ; *e; e++)
		printf("env %s\n", *e);
	if (n > 0) {
		exe[n] = 0;
		root = dirname(dirname(exe));	/* ApplicationPath is /bin/show */
		rl = strlen(root);
		if (getcwd(cwd, sizeof cwd) && !strncmp(cwd, root, rl))
			printf("cwd %s\n", cwd[rl] ? cwd + rl : "/");
		if (!stat(root, &st))
			printf("rootmode %o\n", (unsigned)(st.st_mode & 07777));
		printf("root %s\n", root);
	}
	if ((f = fopen("note.txt", "r"))) {
		if (fgets(line, sizeof line, f))
			printf("note %s", line);
		fclose(f);
	}
	return getenv("EXIT") ? atoi(getenv("EXIT")) : 0;
}
