/* The "openenclave" input format for `ensign measure|info|verify FILE`: an
 * ELF with a .oeinfo section. MRENCLAVE is recomputed from the image and its
 * .oeinfo (no .conf needed once signed) and checked against the SIGSTRUCT. */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "oe_cli.h"

bool oe_fmt_probe(const char *path, const uint8_t *head, size_t len, uint64_t file_size)
{
	bool found = false;
	size_t shstrndx;
	if (len < 4 || memcmp(head, ELFMAG, 4) != 0)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0) {
		Elf_Scn *scn = NULL;
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;
			if (gelf_getshdr(scn, &sh) && (name = elf_strptr(elf, shstrndx, sh.sh_name)))
				found = strcmp(name, ".oeinfo") == 0;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

static bool is_signed(const struct ens_oe_props *p)
{
	for (size_t i = 0; i < sizeof(p->sigstruct); i++)
		if (p->sigstruct[i])
			return true;
	return false;
}

static void hex32(const uint8_t *b, char out[65])
{
	ens_hex(b, 32, out);
}

/* -c CONF: the settings an unsigned enclave will be signed with. The
 * generic commands pass their whole argv (path, --json...): take only -c. */
static int parse_conf_arg(int argc, char **argv, const char **conf)
{
	*conf = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config-file")) {
			if (i + 1 >= argc)
				return cli_usage_error("ensign measure|info OE_ENCLAVE [-c CONF]",
						       "%s needs a file", argv[i]);
			*conf = argv[++i];
		} else if (!strncmp(argv[i], "--config-file=", 14)) {
			*conf = argv[i] + 14;
		}
	}
	return 0;
}

static int load_measured(const char *path, const char *conf, struct ens_oe_image **img,
			 struct ens_oe_props *p, uint8_t mr[32], struct ens_oe_layout *lay)
{
	struct ens_err err = { 0 };
	if (oe_cli_load(path, conf, false, img, p, &err) < 0) {
		if (!conf && strstr(err.msg, "invalid enclave property"))
			cli_note("an unsigned Open Enclave image needs its .conf: add -c CONF");
		return cli_error(&err);
	}
	if (ens_oe_mrenclave(*img, p, mr, lay, &err) < 0) {
		ens_oe_close(*img);
		return cli_error(&err);
	}
	return 0;
}

int oe_fmt_measure(const char *path, int argc, char **argv, bool json)
{
	struct ens_oe_image *img;
	struct ens_oe_props p;
	uint8_t mr[32];
	char hex[65];
	const char *conf;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = parse_conf_arg(argc, argv, &conf)) || (rc = load_measured(path, conf, &img, &p, mr, NULL)))
		return rc;
	ens_oe_close(img);
	hex32(mr, hex);
	if (json)
		printf("{\"format\": \"openenclave\", \"mrenclave\": \"%s\"}\n", hex);
	else
		printf("%s\n", hex);
	return 0;
}

int oe_fmt_info(const char *path, int argc, char **argv, bool json)
{
	struct ens_oe_image *img;
	struct ens_oe_props p;
	struct ens_oe_layout l;
	uint8_t mr[32];
	char hex[65];
	const char *conf;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = parse_conf_arg(argc, argv, &conf)) || (rc = load_measured(path, conf, &img, &p, mr, &l)))
		return rc;
	hex32(mr, hex);
	bool sig = is_signed(&p);
	const struct ens_sigstruct *s = (const struct ens_sigstruct *)p.sigstruct;
	if (json) {
		printf("{\"format\": \"openenclave\", \"file\": ");
		cli_json_str(path);
		printf(", \"entry\": %llu, \"product_id\": %u, \"security_version\": %u, \"debug\": %s, "
		       "\"attributes\": %llu, \"xfrm\": %llu, \"num_heap_pages\": %llu, "
		       "\"num_stack_pages\": %llu, \"num_tcs\": %llu, \"capture_pf_gp_exceptions\": %s, "
		       "\"create_zero_base_enclave\": %s, \"start_address\": %llu, \"image_size\": %llu, "
		       "\"reloc_size\": %llu, \"heap_rva\": %llu, \"enclave_size\": %llu, "
		       "\"mrenclave\": \"%s\", \"signed\": %s",
		       (unsigned long long)ens_oe_entry(img), p.product_id, p.security_version,
		       (p.attributes & ENS_ATTR_DEBUG) ? "true" : "false", (unsigned long long)p.attributes,
		       (unsigned long long)p.xfrm, (unsigned long long)p.num_heap_pages,
		       (unsigned long long)p.num_stack_pages, (unsigned long long)p.num_tcs,
		       (p.flags & ENS_OE_FLAG_CAPTURE_PFGP) ? "true" : "false",
		       (p.flags & ENS_OE_FLAG_ZERO_BASE) ? "true" : "false",
		       (unsigned long long)p.start_address, (unsigned long long)l.image_size,
		       (unsigned long long)l.reloc_size, (unsigned long long)l.heap_rva,
		       (unsigned long long)l.enclave_size, hex, sig ? "true" : "false");
		if (sig) {
			printf(", \"sigstruct\": {");
			cli_json_sigstruct_members(s);
			printf("}");
		}
		printf("}\n");
	} else {
		printf("format:            openenclave (ELF with .oeinfo)\n");
		printf("file:              %s\n", path);
		printf("entry:             0x%llx\n", (unsigned long long)ens_oe_entry(img));
		printf("product_id:        %u\n", p.product_id);
		printf("security_version:  %u\n", p.security_version);
		printf("debug:             %u\n", (p.attributes & ENS_ATTR_DEBUG) ? 1 : 0);
		printf("attributes:        0x%llx\n", (unsigned long long)p.attributes);
		printf("num_heap_pages:    %llu\n", (unsigned long long)p.num_heap_pages);
		printf("num_stack_pages:   %llu\n", (unsigned long long)p.num_stack_pages);
		printf("num_tcs:           %llu\n", (unsigned long long)p.num_tcs);
		printf("flags:             capture_pf_gp=%u zero_base=%u start_address=0x%llx\n",
		       p.flags & ENS_OE_FLAG_CAPTURE_PFGP ? 1 : 0, p.flags & ENS_OE_FLAG_ZERO_BASE ? 1 : 0,
		       (unsigned long long)p.start_address);
		printf("image_size:        0x%llx\n", (unsigned long long)l.image_size);
		printf("reloc_size:        0x%llx\n", (unsigned long long)l.reloc_size);
		printf("heap_rva:          0x%llx\n", (unsigned long long)l.heap_rva);
		printf("enclave_size:      0x%llx\n", (unsigned long long)l.enclave_size);
		printf("mrenclave:         %s (computed)\n", hex);
		printf("signed:            %s\n", sig ? "yes" : "no");
		if (sig)
			cli_print_sigstruct(s, false, "  ");
	}
	ens_oe_close(img);
	return 0;
}

int oe_fmt_verify(const char *path, int argc, char **argv)
{
	struct ens_oe_image *img;
	struct ens_oe_props p;
	struct ens_err err = { 0 };
	struct ens_verify_report rep;
	uint8_t mr[32], mrsigner[32];
	char hex[65], want[65];
	int rc = 1;

	if (ens_oe_open(path, &img, &err) < 0)
		return cli_error(&err);
	ens_oe_props_read(img, &p);
	if (!is_signed(&p)) {
		cli_errorf("'%s': Open Enclave enclave is not signed (the SIGSTRUCT in .oeinfo is all zero)", path);
		goto out;
	}
	if (ens_oe_validate(&p, &err) < 0 || ens_oe_mrenclave(img, &p, mr, NULL, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	const struct ens_sigstruct *s = (const struct ens_sigstruct *)p.sigstruct;
	ens_sigstruct_verify(p.sigstruct, sizeof(p.sigstruct), mr, &rep);
	for (int i = 0; i < ENS_VC_COUNT; i++) {
		if (!rep.failed[i])
			continue;
		if (i == ENS_VC_ENCLAVEHASH) {
			hex32(mr, hex);
			hex32(s->enclavehash, want);
			printf("FAIL %s: MRENCLAVE mismatch: the image or its .oeinfo changed after signing "
			       "(computed %s, SIGSTRUCT ENCLAVEHASH %s)\n", path, hex, want);
		} else {
			printf("FAIL %s: %s\n", path, rep.why[i]);
		}
	}
	if (s->isvprodid != p.product_id || s->isvsvn != p.security_version || s->attributes != p.attributes) {
		printf("FAIL %s: SIGSTRUCT ISVPRODID/ISVSVN/ATTRIBUTES (%u/%u/0x%llx) differ from .oeinfo "
		       "(%u/%u/0x%llx)\n", path, s->isvprodid, s->isvsvn, (unsigned long long)s->attributes,
			   p.product_id, p.security_version, (unsigned long long)p.attributes);
		rep.nfailed++;
	}
	if (rep.nfailed)
		goto out;
	if (rep.warn_reserved)
		cli_warn("'%s': SIGSTRUCT reserved bytes are not zero", path);
	ens_sigstruct_mrsigner(s, mrsigner);
	hex32(mr, hex);
	hex32(mrsigner, want);
	printf("OK %s (Open Enclave enclave)\nmrenclave: %s (matches)\nmrsigner:  %s\n", path, hex, want);
	rc = 0;
out:
	ens_oe_close(img);
	return rc;
}

/* For `verify --sig S FILE`: MRENCLAVE from the file's own .oeinfo. */
int oe_fmt_mrenclave(const char *path, uint8_t out[32], struct ens_err *err)
{
	struct ens_oe_image *img;
	struct ens_oe_props p;
	if (oe_cli_load(path, NULL, false, &img, &p, err) < 0)
		return -1;
	int rc = ens_oe_mrenclave(img, &p, out, NULL, err);
	ens_oe_close(img);
	return rc;
}
