# The two commands a newcomer needs: `make demo` and `make test`. Everything they need is
# installed by the project itself (scripts/tools.sh puts Terraform 1.15 and the AWS CLI in .venv).

CARGO ?= cargo
NEXTEST_PROFILE ?= $(if $(CI),ci,default)

.PHONY: all build tools test lint fmt demo acc bench release docs clean-scratch

all: build

## build: the provider and the emulator (debug)
build:
	$(CARGO) build --workspace --bins

## tools: Terraform 1.15 and the AWS CLI in .venv
tools:
	scripts/tools.sh

## test: formatting, lints, unit, protocol, emulator and end-to-end tests on both Terraforms
test: tools lint
	scripts/test-summary.sh
	$(CARGO) nextest run --workspace --profile $(NEXTEST_PROFILE) --no-fail-fast

## lint: rustfmt and clippy, warnings are errors
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings

## fmt: format the code
fmt:
	$(CARGO) fmt --all

## demo: the RFC release flow through terraform apply against the local emulator
demo:
	scripts/demo.sh

## acc: infra/ on a real AWS account, the same flow as the emulator test (TAGDEPLOY_ACC=1, AWS credentials; see infra/README.md)
acc: tools
	TAGDEPLOY_ACC=$${TAGDEPLOY_ACC:-0} $(CARGO) nextest run --workspace --profile $(NEXTEST_PROFILE) --no-capture -E 'test(=release::stack::infra_stack_on_aws)'

## bench: the shell recipe against terraform + provider on the emulator, side by side (about 15 min; not part of test)
bench:
	python3 bench/run.py

## release: dist/ in the Terraform Registry and provider-mirror layout (release build; zips, SHA256SUMS, manifest)
release:
	scripts/release.sh

## docs: regenerate docs/ from the provider's schema, templates/ and examples/ (a test checks they are current)
docs: tools
	TAGDEPLOY_UPDATE_DOCS=1 $(CARGO) test -p terraform-provider-tagdeploy --test it -- --exact docs::committed_docs_match_the_schema_templates_and_examples

clean-scratch:
	rm -rf target/test-scratch
