/* The runner stub's bytes, embedded in ensign (read by cli/cmd_package.c). */
	.section .rodata
	.balign 16
	.globl ens_pkg_stub_start
	.globl ens_pkg_stub_end
ens_pkg_stub_start:
	.incbin STUB_PATH
ens_pkg_stub_end:
	.section .note.GNU-stack,"",@progbits
