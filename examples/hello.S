/* examples/hello: a tiny x86-64 application without libc, the input of the
 * README demo (`ensign sign build/examples/hello`). Run natively it prints a
 * line through the Linux write system call and exits 0. */
	.section .rodata
msg:	.ascii "hello from an ensign-signed application\n"
	.set msglen, . - msg

	.text
	.globl _start
	.type _start, @function
_start:
	mov	$1, %eax		/* write(1, msg, msglen) */
	mov	$1, %edi
	lea	msg(%rip), %rsi
	mov	$msglen, %edx
	syscall
	mov	$60, %eax		/* exit(0) */
	xor	%edi, %edi
	syscall
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
