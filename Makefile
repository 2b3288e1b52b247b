# The two commands a newcomer needs: `make demo` and `make test`, on a machine with the Rust
# toolchain (rustup's default profile), Python 3 and git. Everything else is installed by the
# project itself, inside the checkout: scripts/tools.sh puts Terraform 1.15 and the AWS CLI in
# .venv, scripts/nextest.sh builds cargo-nextest into .tools (unless one is on PATH).

CARGO ?= cargo
NEXTEST_PROFILE ?= $(if $(CI),ci,default)

.PHONY: all build tools test lint fmt demo bench release docs clean-scratch

all: build

## build: the provider and the emulator (debug)
build:
	$(CARGO) build --workspace --bins

## tools: Terraform 1.15 and the AWS CLI in .venv, cargo-nextest in .tools
tools:
	scripts/tools.sh
	scripts/nextest.sh --install-only

## test: formatting, lints, unit, protocol, emulator and end-to-end tests on both Terraforms
test: tools lint
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

## bench: the shell recipe against terraform + provider on the emulator, side by side (about 15 min; not part of test)
bench:
	python3 bench/run.py

## release: dist/ in the Terraform Registry and provider-mirror layout (release build; zips, SHA256SUMS, manifest)
release:
	scripts/release.sh

## docs: regenerate docs/ from the provider's schema, templates/ and examples/ (a test checks they are current)
docs:
	scripts/tools.sh
	TAGDEPLOY_UPDATE_DOCS=1 $(CARGO) test -p terraform-provider-tagdeploy --test it -- --exact docs::committed_docs_match_the_schema_templates_and_examples

clean-scratch:
	rm -rf target/test-scratch
