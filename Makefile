# The two commands a newcomer needs: `make demo` and `make test`, on a machine with the Rust
# toolchain (rustup's default profile), Python 3 and git. Everything else is installed by the
# project itself, inside the checkout: scripts/tools.sh puts Terraform 1.15 and the AWS CLI in
# .venv, scripts/nextest.sh builds cargo-nextest into .tools (unless one is on PATH).

CARGO ?= cargo
NEXTEST_PROFILE ?= $(if $(CI),ci,default)

.PHONY: all build tools platforms test lint fmt demo acc bench release release-check docs clean-scratch

all: build

## build: the provider and the emulator (debug)
build:
	$(CARGO) build --workspace --bins

## tools: Terraform 1.15 and the AWS CLI in .venv, cargo-nextest in .tools
tools:
	scripts/tools.sh
	scripts/nextest.sh --install-only

## platforms: the provider for darwin_amd64, darwin_arm64, linux_arm64 and windows_amd64 (debug, no debug info), clippy on the Windows code, and qemu/Wine when root
platforms:
	scripts/toolchain.sh --emulators
	scripts/cross-build.sh darwin_amd64 darwin_arm64 linux_arm64 windows_amd64 >/dev/null
	PATH="$(CURDIR)/.tools/venv/bin:$$PATH" CARGO_PROFILE_DEV_DEBUG=0 cargo-zigbuild clippy --quiet --target x86_64-pc-windows-gnu -p terraform-provider-tagdeploy --lib --bins -- -D warnings

## test: formatting, lints, the other platforms' builds, unit, protocol, emulator and end-to-end tests on both Terraforms
test: tools lint platforms
	scripts/test-summary.sh
	scripts/nextest.sh run --workspace --profile $(NEXTEST_PROFILE) --no-fail-fast \
	  || { echo "make test: the tests above failed. Rerun one: scripts/nextest.sh run -E 'test(/NAME/)'"; exit 1; }

## lint: rustfmt and clippy, warnings are errors
lint:
	$(CARGO) fmt --all -- --check || { echo "make lint: not formatted (the diff is above): run make fmt"; exit 1; }
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings \
	  || { echo "make lint: clippy found the problems above (warnings are errors): fix them"; exit 1; }

## fmt: format the code
fmt:
	$(CARGO) fmt --all

## demo: the RFC release flow through terraform apply against the local emulator
demo:
	scripts/demo.sh

## acc: infra/ on a real AWS account, the same flow as the emulator test (TAGDEPLOY_ACC=1, AWS credentials; see infra/README.md)
acc: tools
	TAGDEPLOY_ACC=$${TAGDEPLOY_ACC:-0} $(CARGO) nextest run --workspace --profile $(NEXTEST_PROFILE) --no-capture -E 'test(=release::stack::infra_stack_on_aws)'

## bench: the shell recipe against terraform + provider on the emulator, side by side, and the wait's calls per ECS strategy (about 15 min; BENCH_SCENARIOS=strategies for that part alone; not part of test)
bench:
	python3 bench/run.py

## release: dist/ for all five platforms in the Terraform Registry and mirror layout (release builds, over an hour on 2 cores; signed with GPG_KEY_ID or GPG_KEY_FILE)
release:
	scripts/release.sh

## release-check: builds linux_amd64 here and in a copy at another path, and compares the bytes (reproducibility)
release-check:
	scripts/release.sh --check-reproducible

## docs: regenerate docs/ from the provider's schema, templates/ and examples/ (a test checks they are current)
docs:
	scripts/tools.sh
	TAGDEPLOY_UPDATE_DOCS=1 $(CARGO) test -p terraform-provider-tagdeploy --test it -- --exact docs::committed_docs_match_the_schema_templates_and_examples

clean-scratch:
	rm -rf target/test-scratch
