# Minimal Fortanix EDP-style enclave ELF for ensign's elf2sgxs tests.
# Assembled with `as --defsym KNOB=1`; each knob breaks one rule of
# sgxs-format.md §2.2 so that every rejection has its own test.
.ifndef NO_NOTE
.section ".note.x86_64-fortanix-unknown-sgx", "", @note
    .align 4
    .long 1f - 0f
    .long 3f - 2f
    .long 1
.ifdef BAD_NOTE_NAME
0:  .asciz "toolchain-versioN"
.else
0:  .asciz "toolchain-version"
.endif
1:  .align 4
.ifdef BAD_NOTE_VERSION
2:  .long 2
.else
2:  .long 1
.endif
3:  .align 4
.endif

.macro globvar name:req size:req
    .global \name
    .protected \name
    .align \size
    .size \name , \size
    \name :
        .org .+\size
.endm

.ifdef PATCH_IN_BSS
.bss
.else
.section .rodata
.endif
    globvar HEAP_BASE 8
.ifndef NO_HEAP_SIZE
    globvar HEAP_SIZE 8
.endif
    globvar RELA 8
    globvar RELACOUNT 8
.ifdef MISALIGNED_ENCLAVE_SIZE
    .byte 0
    .global ENCLAVE_SIZE
    .protected ENCLAVE_SIZE
    .size ENCLAVE_SIZE, 8
ENCLAVE_SIZE: .quad 0
.else
    globvar ENCLAVE_SIZE 8
.endif
    globvar CFGDATA_BASE 8
.ifdef WRONG_DEBUG_SIZE
    globvar DEBUG 8
.else
    globvar DEBUG 1
.endif
    globvar TEXT_BASE 8
    globvar TEXT_SIZE 8
    globvar EH_FRM_HDR_OFFSET 8
    globvar EH_FRM_HDR_LEN 8
    globvar EH_FRM_OFFSET 8
    globvar EH_FRM_LEN 8

.ifdef UNDEFINED_SYMBOL
.data
.quad missing_function
.endif

.ifdef ABSOLUTE_RELOC
.data
.global exported_data
exported_data: .quad exported_data
.quad .Lentry_local
.endif

.ifdef INIT_ARRAY
.section .init_array, "aw"
.quad sgx_entry
.endif

.ifdef RELOC_IN_RODATA
.section .rodata
.align 8
.quad .Lentry_local
.endif

.data
.align 8
.Lptr: .quad sgx_entry

.text
.global sgx_entry
.protected sgx_entry
.type sgx_entry,function
sgx_entry:
.Lentry_local:
    .cfi_startproc
    mov %rcx,%rbx
    mov $4,%eax
    enclu
    .cfi_endproc
.size sgx_entry, .-sgx_entry

.ifdef TEXT_NO_SGX
# Code the SGX target strips: ends its segment, so the segment is cut there.
.section .text_no_sgx, "ax"
.fill 0x1800, 1, 0xcc
.endif
.ifdef TEXT_NO_SGX_MID
# Stripped code followed by more code: it is overwritten with NOPs instead.
.section .text_no_sgx, "ax"
.fill 0x10, 1, 0xcc
.section .text_zz, "ax"
.fill 0x10, 1, 0xc3
.endif
