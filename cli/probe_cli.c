/* The CLI side of input kinds (include/ensign/probe.h): each command that
 * reads a file names the kinds it takes before its parser sees the file. */
#include "cli.h"
#include "ensign/probe.h"

int cli_expect_kind(const char *path, uint64_t want, const char *what)
{
	struct ens_err err = { 0 };

	if (path && ens_probe_expect(path, want, what, &err))
		return cli_error(&err);
	return 0;
}
