# bpf.mk: the BPF task-iterator collector (issue 8), included by the Makefile.
#
# When clang, bpftool and libbpf-dev's <bpf/skel_internal.h> are present,
# bpf/*.bpf.c are compiled with clang's BPF target and bpftool generates a
# light skeleton per program (-L: the kernel itself applies the CO-RE
# relocations when the loader runs, so a load costs ~2 ms instead of
# libbpf's ~25 ms parse of the kernel BTF, and nothing is linked: no -lbpf at
# run time), and lib/collect/bpf.c is built with MB_HAVE_BPF against them.
# The program declares the few kernel fields it reads itself (CO-RE local
# types), so the build host's kernel BTF is not needed: the running kernel's
# is, at load time.  Otherwise nothing here applies and bpf.c compiles as a
# placeholder whose scans fall back to /proc.  `make BPF=0` turns it off.
#
# Debian packages (build only): clang bpftool libbpf-dev

BPF        ?= auto
BPF_CLANG  ?= clang
BPFTOOL    ?= $(firstword $(shell command -v bpftool 2>/dev/null) \
                $(wildcard /usr/sbin/bpftool /sbin/bpftool /usr/local/sbin/bpftool))
BPF_INC    ?= /usr/include
# <linux/types.h> needs <asm/types.h>, which Debian keeps in the multiarch directory.
# (-print-multiarch: gcc and clang both say x86_64-linux-gnu; clang -dumpmachine
# says x86_64-pc-linux-gnu, which is not a directory.)
BPF_MULTIARCH ?= $(BPF_INC)/$(shell $(CC) -print-multiarch 2>/dev/null || $(CC) -dumpmachine)
BPF_ARCH   := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
                -e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')

ifneq ($(BPF),0)
HAVE_BPF := $(shell command -v $(BPF_CLANG) >/dev/null 2>&1 && [ -n "$(BPFTOOL)" ] && \
              [ -r $(BPF_INC)/bpf/skel_internal.h ] && echo yes)
endif

ifeq ($(HAVE_BPF),yes)
BPF_SRC  := $(sort $(wildcard bpf/*.bpf.c))
BPF_SKEL := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.lskel.h)

# The object bpftool links (DWARF stripped) is what the skeleton embeds.
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/taskmem.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -target bpf -O2 -g -D__TARGET_ARCH_$(BPF_ARCH) -Ibpf -idirafter $(BPF_MULTIARCH) \
	  -Wall -Wno-unused-function -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/bpf/%.lskel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton -L $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/lib/collect/bpf.o: $(BPF_SKEL)
$(BUILD)/lib/collect/bpf.o: ALL_CFLAGS += -DMB_HAVE_BPF -I$(BUILD)/bpf
endif
