/* Input kinds (include/ensign/probe.h): magic numbers at the start (SGXS
 * record tags, ELF, PEM, archives), the SIGSTRUCT size and HEADER, the
 * package trailer at the end, and for ELF files the section names that mark
 * each SDK's enclaves (libelf reads them; nothing of the file is trusted). */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ensign/app.h"
#include "ensign/package.h"
#include "ensign/probe.h"
#include "ensign/sgx.h"
#include "ensign/sigstruct.h"
#include "ensign/util.h"

static bool has(const uint8_t *h, size_t n, size_t off, const char *magic, size_t mlen)
{
	return n >= off + mlen && !memcmp(h + off, magic, mlen);
}

/* The first BEGIN line within the head (OpenSSL skips text before it). */
static bool pem_kind(const uint8_t *h, size_t n, enum ens_kind *k)
{
	static const char begin[] = "-----BEGIN ";
	const char *s = (const char *)h, *b = memmem(s, n, begin, sizeof begin - 1), *label, *end;

	if (!b)
		return false;
	label = b + sizeof begin - 1;
	end = memmem(label, n - (size_t)(label - s), "-----", 5);
	*k = ENS_K_PEM_OTHER;
	if (!end)
		return true;
	if (memmem(label, (size_t)(end - label), "PRIVATE KEY", 11))
		*k = ENS_K_PEM_PRIVATE;
	else if (memmem(label, (size_t)(end - label), "PUBLIC KEY", 10))
		*k = ENS_K_PEM_PUBLIC;
	else if (memmem(label, (size_t)(end - label), "CERTIFICATE", 11))
		*k = ENS_K_PEM_CERT;
	return true;
}

static bool is_text(const uint8_t *h, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = h[i];

		/* UTF-8 bytes (>= 0x80) pass; control characters other than
		 * tab, newlines, form feed and ESC do not */
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b)
			return false;
		if (c == 0x7f)
			return false;
	}
	return true;
}

static void elf_header_kind(const uint8_t *h, size_t n, struct ens_probe *p)
{
	uint16_t type;

	if (n < 20 || h[EI_CLASS] != ELFCLASS64 || h[EI_DATA] != ELFDATA2LSB ||
	    ens_get_le16(h + 18) != EM_X86_64) {
		p->kind = ENS_K_ELF_OTHER;
		return;
	}
	type = ens_get_le16(h + 16);
	p->kind = type == ET_EXEC ? ENS_K_ELF_EXEC : type == ET_DYN ? ENS_K_ELF_SHARED :
		  type == ET_REL ? ENS_K_ELF_OBJECT : ENS_K_ELF_OTHER;
}

void ens_probe_bytes(const uint8_t *h, size_t n, uint64_t size, const uint8_t *tail8, struct ens_probe *p)
{
	static const struct { size_t off; const char *magic; size_t len; const char *name; } arch[] = {
		{ 257, "ustar", 5, "tar" }, { 0, "\037\213", 2, "gzip" }, { 0, "\3757zXZ\0", 6, "xz" },
		{ 0, "\050\265\057\375", 4, "zstd" }, { 0, "BZh", 3, "bzip2" }, { 0, "PK\003\004", 4, "zip" },
		{ 0, "PK\005\006", 4, "zip" }, { 0, "!<arch>\n", 8, "ar" }, { 0, "070701", 6, "cpio" },
		{ 0, "070707", 6, "cpio" }, { 0, "\307\161", 2, "cpio" },
	};
	enum ens_kind k;

	p->kind = ENS_K_UNKNOWN;
	p->detail = NULL;
	if (size == 0 || n == 0) {
		p->kind = ENS_K_EMPTY;
		return;
	}
	if (tail8 && size >= 8 && ens_pkg_probe_tail(tail8)) {
		p->kind = ENS_K_PACKAGE;
		return;
	}
	if (n >= 8 && ens_get_le64(h) == ENS_TAG_ECREATE) {
		p->kind = ENS_K_SGXS;
		return;
	}
	if (n >= 8 && ens_get_le64(h) == ENS_TAG_UNSIZED) {
		p->kind = ENS_K_SGXS_UNSIZED;
		return;
	}
	if (size == ENS_SIGSTRUCT_SIZE && n >= 12 && !memcmp(h, ens_sigstruct_header, 12)) {
		p->kind = ENS_K_SIGSTRUCT;
		return;
	}
	if (has(h, n, 0, ELFMAG, SELFMAG)) {
		elf_header_kind(h, n, p);
		return;
	}
	for (size_t i = 0; i < sizeof arch / sizeof arch[0]; i++)
		if (has(h, n, arch[i].off, arch[i].magic, arch[i].len)) {
			p->kind = ENS_K_ARCHIVE;
			p->detail = arch[i].name;
			return;
		}
	if (is_text(h, n)) {
		size_t i = 0;

		if (pem_kind(h, n, &k)) {
			p->kind = k;
			return;
		}
		if (n >= 3 && !memcmp(h, "\357\273\277", 3))
			i = 3;
		while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r'))
			i++;
		p->kind = i < n && (h[i] == '{' || h[i] == '[') ? ENS_K_JSON : ENS_K_TEXT;
	}
}

/* The section names of an ELF file say whose enclave it is. */
static void probe_elf(int fd, const uint8_t *h, size_t n, struct ens_probe *p)
{
	Elf *elf;
	size_t shstrndx, phnum;
	Elf_Scn *scn = NULL;
	bool interp = false;

	elf_header_kind(h, n, p);
	if (p->kind == ENS_K_ELF_OTHER || p->kind == ENS_K_ELF_OBJECT)
		return;
	if (elf_version(EV_CURRENT) == EV_NONE || !(elf = elf_begin(fd, ELF_C_READ, NULL)))
		return;
	if (!elf_getshdrstrndx(elf, &shstrndx))
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
				continue;
			if (!strcmp(name, ".note.sgxmeta"))
				p->kind = ENS_K_ELF_INTEL;
			else if (!strcmp(name, ".oeinfo"))
				p->kind = ENS_K_ELF_OE;
			else if (!strcmp(name, ".note.x86_64-fortanix-unknown-sgx"))
				p->kind = ENS_K_ELF_EDP;
			else if (!strcmp(name, ENS_APP_SECTION))
				p->kind = ENS_K_ELF_APP_SIGNED;
			else
				continue;
			elf_end(elf);
			return;
		}
	if (p->kind == ENS_K_ELF_SHARED && !elf_getphdrnum(elf, &phnum))
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
				interp = true;
		}
	if (interp)
		p->kind = ENS_K_ELF_EXEC;
	elf_end(elf);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

int ens_probe_file(const char *path, struct ens_probe *p, struct ens_err *err)
{
	uint8_t head[4096], tail[8];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	p->kind = ENS_K_UNKNOWN;
	p->detail = NULL;
	if (fd < 0)
		return ens_fail_errno(err, "cannot open '%s'", path);
	if (fstat(fd, &st)) {
		close(fd);
		return ens_fail_errno(err, "cannot stat '%s'", path);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		p->kind = ENS_K_DIR;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {	/* a pipe or device: do not consume it */
		close(fd);
		return 0;
	}
	n = pread(fd, head, sizeof head, 0);
	if (n < 0) {
		close(fd);
		return ens_fail_errno(err, "cannot read '%s'", path);
	}
	if (st.st_size < 8 || pread(fd, tail, 8, st.st_size - 8) != 8)
		ens_probe_bytes(head, (size_t)n, (uint64_t)st.st_size, NULL, p);
	else
		ens_probe_bytes(head, (size_t)n, (uint64_t)st.st_size, tail, p);
	if (p->kind >= ENS_K_ELF_EXEC && p->kind <= ENS_K_ELF_OTHER)
		probe_elf(fd, head, (size_t)n, p);
	/* TOML says nothing in its first bytes ("[libos]" even reads as JSON):
	 * Gramine's manifests are known by their names, as gramine-sgx-sign's are */
	if ((p->kind == ENS_K_TEXT || p->kind == ENS_K_JSON) &&
	    (ends_with(path, ".manifest") || ends_with(path, ".manifest.sgx")))
		p->kind = ENS_K_GRAMINE_MANIFEST;
	close(fd);
	return 0;
}

const char *ens_kind_name(const struct ens_probe *p)
{
	static const char *const names[ENS_K_COUNT_] = {
		[ENS_K_UNKNOWN] = "a file of unknown kind",
		[ENS_K_EMPTY] = "empty",
		[ENS_K_DIR] = "a directory",
		[ENS_K_SGXS] = "an SGXS file",
		[ENS_K_SGXS_UNSIZED] = "an unsized SGXS file",
		[ENS_K_SIGSTRUCT] = "a SIGSTRUCT",
		[ENS_K_PACKAGE] = "an ensign package",
		[ENS_K_ELF_INTEL] = "an Intel SGX SDK enclave (ELF)",
		[ENS_K_ELF_OE] = "an Open Enclave enclave (ELF)",
		[ENS_K_ELF_EDP] = "a Fortanix EDP enclave (ELF executable)",
		[ENS_K_ELF_APP_SIGNED] = "an application signed by ensign (ELF)",
		[ENS_K_ELF_EXEC] = "an ELF executable",
		[ENS_K_ELF_SHARED] = "an ELF shared object",
		[ENS_K_ELF_OBJECT] = "an ELF object file",
		[ENS_K_ELF_OTHER] = "an ELF file for another machine or of another type",
		[ENS_K_PEM_PRIVATE] = "a PEM private key",
		[ENS_K_PEM_PUBLIC] = "a PEM public key",
		[ENS_K_PEM_CERT] = "a PEM certificate",
		[ENS_K_PEM_OTHER] = "a PEM file",
		[ENS_K_JSON] = "a JSON text file",
		[ENS_K_TEXT] = "a text file",
		[ENS_K_ARCHIVE] = "an archive",
		[ENS_K_GRAMINE_MANIFEST] = "a Gramine manifest",
	};
	static const char *const archives[][2] = {
		{ "tar", "a tar archive" }, { "gzip", "a gzip-compressed file" }, { "xz", "an xz-compressed file" },
		{ "zstd", "a zstd-compressed file" }, { "bzip2", "a bzip2-compressed file" },
		{ "zip", "a zip archive" }, { "ar", "an ar archive" }, { "cpio", "a cpio archive" },
	};

	if (p->kind == ENS_K_ARCHIVE && p->detail)
		for (size_t i = 0; i < sizeof archives / sizeof archives[0]; i++)
			if (!strcmp(archives[i][0], p->detail))
				return archives[i][1];
	return (unsigned)p->kind < ENS_K_COUNT_ ? names[p->kind] : names[ENS_K_UNKNOWN];
}

const char *ens_kind_hint(enum ens_kind k)
{
	switch (k) {
	case ENS_K_EMPTY: return "nothing to read";
	case ENS_K_DIR: return "give a file";
	case ENS_K_SGXS: return "sign it with `ensign sign`, measure it with `ensign measure`";
	case ENS_K_SGXS_UNSIZED: return "finalize it first with `ensign append`";
	case ENS_K_SIGSTRUCT: return "show it with `ensign info`, check it with `ensign verify --sig`";
	case ENS_K_PACKAGE: return "check it with `ensign verify`, show it with `ensign info`";
	case ENS_K_ELF_INTEL: return "sign it with `ensign sgx_sign sign`";
	case ENS_K_ELF_OE: return "sign it with `ensign oesign sign`";
	case ENS_K_ELF_EDP: return "convert it with `ensign elf2sgxs`";
	case ENS_K_ELF_APP_SIGNED: return "check it with `ensign verify` or `ensign check`";
	case ENS_K_ELF_EXEC:
	case ENS_K_ELF_SHARED:
		return "sign it as an application with `ensign sign` (ensign-sign-app(1))";
	case ENS_K_ELF_OBJECT: return "link it first";
	case ENS_K_ELF_OTHER: return "ensign reads x86-64 little-endian ELF64 enclaves only";
	case ENS_K_PEM_PRIVATE: return "give it as the signing key (--key)";
	case ENS_K_PEM_PUBLIC: return "give it as --pubkey";
	case ENS_K_PEM_CERT:
	case ENS_K_PEM_OTHER:
		return "ensign reads RSA keys in PEM, not this";
	case ENS_K_JSON: return "a package's config.json goes to `ensign package --config`";
	case ENS_K_TEXT: return "ensign reads built enclaves and applications: build it first";
	case ENS_K_ARCHIVE: return "unpack it first";
	case ENS_K_GRAMINE_MANIFEST: return "sign it with `ensign gramine-sgx-sign` or `ensign sign APP.manifest --libpal P`";
	default: return "";
	}
}

int ens_probe_expect(const char *path, uint64_t want, const char *what, struct ens_err *err)
{
	struct ens_probe p;
	struct ens_err ignored;
	const char *hint;

	/* unknown, empty or a directory: the caller's own reading says more */
	if (ens_probe_file(path, &p, &ignored) || p.kind == ENS_K_UNKNOWN || p.kind == ENS_K_EMPTY ||
	    p.kind == ENS_K_DIR || (want & ENS_KBIT(p.kind)))
		return 0;
	hint = ens_kind_hint(p.kind);
	return ens_fail(err, ENS_E_FORMAT, "'%s' is %s, not %s%s%s", path, ens_kind_name(&p), what,
			*hint ? ": " : "", hint);
}
