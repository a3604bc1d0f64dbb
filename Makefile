# Installs vnet like any Unix tool:
#   make                      release binaries (cargo build --release --locked)
#   make install              binaries, man pages, completions and JSON schemas under PREFIX
#   make uninstall            removes exactly what install put there (its manifest says what)
#   make deb                  the Debian packages (debian/, dpkg-buildpackage) into target/debian/
# PREFIX defaults to /usr/local; DESTDIR stages the tree elsewhere (packaging, tests).
#
# vnet-ns and vnet-bridge are built in a cargo invocation of their own, so vnet-common's libvirt
# feature stays off for them: they link nothing from libvirt and build without libvirt-dev.

SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
INSTALL ?= install
TOOLS := vnet-ns vnet-bridge vnet-net vnet-vm
KERNEL_TOOLS := vnet-ns vnet-bridge
LIBVIRT_TOOLS := vnet-net vnet-vm
RELEASE := target/release

BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man/man1
BASHDIR := $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads /usr/share/zsh/vendor-completions; site-functions is the upstream default
# (and in /usr/local, on Debian's fpath too). The Debian packages use vendor-completions.
ZSHDIR ?= $(PREFIX)/share/zsh/site-functions
FISHDIR := $(PREFIX)/share/fish/vendor_completions.d
SCHEMADIR := $(PREFIX)/share/vnet/schema
# The list of every file install wrote, read back by uninstall.
MANIFEST := $(PREFIX)/share/vnet/install-manifest

.PHONY: all build build-kernel build-libvirt install uninstall deb clean-deb

all: build

build: build-kernel build-libvirt

build-kernel:
	$(CARGO) build --release --locked $(addprefix -p ,$(KERNEL_TOOLS))

build-libvirt:
	$(CARGO) build --release --locked $(addprefix -p ,$(LIBVIRT_TOOLS))

# Builds first (a no-op for cargo when `make` already ran), so what is installed is never stale.
install: build
	@set -e; \
	dest='$(DESTDIR)'; manifest="$$dest$(MANIFEST)"; \
	tmp=$$(mktemp); trap 'rm -f "$$tmp"' EXIT; \
	mkdirs() { local d=$$1; [ -d "$$dest$$d" ] && return 0; mkdirs "$$(dirname "$$d")"; \
	  $(INSTALL) -d "$$dest$$d"; echo "$$d/" >>"$$tmp"; }; \
	put() { local mode=$$1 src=$$2 dst=$$3; \
	  mkdirs "$$(dirname "$$dst")"; \
	  $(INSTALL) -m "$$mode" "$$src" "$$dest$$dst"; \
	  echo "$$dst" >>"$$tmp"; }; \
	for t in $(TOOLS); do \
	  put 755 $(RELEASE)/$$t $(BINDIR)/$$t; \
	  gzip -9n <man/$$t.1 >"$$tmp.gz"; put 644 "$$tmp.gz" $(MANDIR)/$$t.1.gz; rm -f "$$tmp.gz"; \
	  put 644 completions/bash/$$t $(BASHDIR)/$$t; \
	  put 644 completions/zsh/_$$t $(ZSHDIR)/_$$t; \
	  put 644 completions/fish/$$t.fish $(FISHDIR)/$$t.fish; \
	done; \
	for f in $$(cd schema && find . -name '*.json' | sed 's|^\./||' | LC_ALL=C sort); do \
	  put 644 schema/$$f $(SCHEMADIR)/$$f; \
	done; \
	echo '$(MANIFEST)' >>"$$tmp"; \
	$(INSTALL) -m 644 "$$tmp" "$$manifest"; \
	echo "installed $$(wc -l <"$$manifest") files under $$dest$(PREFIX) (list: $$manifest)"

# The manifest lists every file install wrote and every directory it had to create (ending in /),
# in the order made. uninstall removes those files and nothing else, then those directories,
# deepest first, where they are empty.
uninstall:
	@set -e; \
	dest='$(DESTDIR)'; manifest="$$dest$(MANIFEST)"; \
	if [ ! -f "$$manifest" ]; then echo "uninstall: $$manifest: not found (nothing installed under $$dest$(PREFIX)?)" >&2; exit 1; fi; \
	list=$$(mktemp); trap 'rm -f "$$list"' EXIT; cp "$$manifest" "$$list"; rm -f "$$manifest"; \
	n=0; while IFS= read -r f; do \
	  case "$$f" in '$(PREFIX)'/*) ;; *) echo "uninstall: $$f: not under $(PREFIX), left alone" >&2; continue;; esac; \
	  case "$$f" in */) continue;; esac; \
	  if [ -e "$$dest$$f" ] || [ -L "$$dest$$f" ]; then rm -f "$$dest$$f"; n=$$((n+1)); fi; \
	done <"$$list"; \
	grep '/$$' "$$list" | tac | while IFS= read -r d; do \
	  case "$$d" in '$(PREFIX)'/*) rmdir "$$dest$$d" 2>/dev/null || true;; esac; \
	done; \
	echo "removed $$n files"

# Debian packages: vnet-ns, vnet-bridge, vnet-net, vnet-vm and the vnet metapackage.
deb:
	debian/build-debs
