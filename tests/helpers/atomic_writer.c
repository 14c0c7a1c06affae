/* Test helper for tests/cli/atomic.sh: writes MIB mebibytes to PATH through
 * the atomic output API (ens_out_*), pausing half-way until a line arrives on
 * stdin, so the test can kill it at a known point in the middle of a write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ensign/io.h"

int main(int argc, char **argv)
{
	static unsigned char block[1 << 20];
	struct ens_out o;
	struct ens_err err;
	char line[16];
	long mib = argc == 4 ? strtol(argv[2], NULL, 0) : -1;

	if (mib < 2) {
		fprintf(stderr, "usage: atomic_writer PATH MIB BYTE\n");
		return 2;
	}
	memset(block, argv[3][0], sizeof block);
	if (ens_out_open(&o, argv[1], 0644, &err))
		return fprintf(stderr, "%s\n", err.msg), 1;
	for (long i = 0; i < mib; i++) {
		if (ens_out_write(&o, block, sizeof block, &err))
			return ens_out_abort(&o), fprintf(stderr, "%s\n", err.msg), 1;
		if (i == mib / 2) {
			fflush(o.fp);
			printf("paused %s\n", o.tmp);
			fflush(stdout);
			if (!fgets(line, sizeof line, stdin))
				return ens_out_abort(&o), 1;
		}
	}
	if (ens_out_commit(&o, &err))
		return fprintf(stderr, "%s\n", err.msg), 1;
	return 0;
}
