//! Ready for real users: the release packaging (`scripts/release.sh`, installed through a packed
//! filesystem mirror; every platform in one mirror; signing; the cross-built binaries checked
//! and run under emulation), the `infra/` stack for a real AWS account (formatted, validated against
//! hashicorp/aws when its binary is on this machine, and applied for real: on the emulator in
//! every run, on AWS with `make acc`), and the promotion policy in `infra/iam.tf`, whose actions
//! must be exactly the AWS operations the provider issues.

mod formats;
mod iam;
mod infra;
mod mirror;
mod package;
mod platforms;
mod signing;
mod stack;

use std::path::Path;

use crate::support::terraform::Workspace;

/// Points a workspace's CLI configuration at `mirrors`: (directory, include pattern) pairs,
/// each a `filesystem_mirror` block, and nothing from the network.
fn use_mirrors(ws: &Workspace, mirrors: &[(&Path, &str)]) {
    let mut text = String::from("provider_installation {\n");
    for (path, include) in mirrors {
        text.push_str(&format!(
            "  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{include}\"]\n  }}\n",
            path.display()
        ));
    }
    text.push_str("}\n");
    let rc = ws
        .work_dir()
        .parent()
        .expect("the work dir is inside the scratch dir")
        .join("terraform.rc");
    std::fs::write(rc, text).expect("write CLI config");
}
