#!/usr/bin/env bash
# The RFC demo arrives with the promotion (resource tagdeploy_prod_tag): see CHANGELOG.md.
echo "make demo: the release demo arrives with the tagdeploy_prod_tag resource (not built yet)."
echo "Meanwhile: make test runs the provider foundation against Terraform 1.11 and 1.15."
