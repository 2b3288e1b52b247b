//! `infra/`: `terraform fmt`-clean, and `terraform init` + `validate` against hashicorp/aws
//! 5.100.0 from the filesystem mirror at `/opt/tf-plugins` (or `TAGDEPLOY_AWS_PROVIDER_MIRROR`)
//! plus the built tagdeploy provider. Without that mirror the validation says SKIPPED: a fresh
//! machine may not have the 600 MB provider binary, and it is never downloaded.

use std::path::PathBuf;

use crate::support::repo_root;
use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

use super::use_mirrors;

/// The hashicorp/aws version the stack is validated with.
const AWS_VERSION: &str = "5.100.0";

fn aws_mirror() -> PathBuf {
    std::env::var_os("TAGDEPLOY_AWS_PROVIDER_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"))
}

terraform_test!(infra_is_formatted);
fn infra_is_formatted(tf: &Terraform) {
    let ws = Workspace::new(tf, "infra-fmt", &required_providers());
    let infra = repo_root().join("infra");
    let infra = infra.to_string_lossy();
    let run = ws.run(&["fmt", "-check", "-recursive", "-diff", "-no-color", &infra]);
    assert_eq!(
        run.code,
        Some(0),
        "infra/ is not `terraform fmt`-clean (run `terraform fmt infra`):\n{}",
        run.transcript()
    );
}

terraform_test!(infra_validates_with_hashicorp_aws);
fn infra_validates_with_hashicorp_aws(tf: &Terraform) {
    let mirror = aws_mirror();
    let aws = mirror
        .join("registry.terraform.io/hashicorp/aws")
        .join(AWS_VERSION)
        .join(crate::support::terraform::platform());
    if !aws.is_dir() {
        eprintln!(
            "SKIPPED: no hashicorp/aws {AWS_VERSION} at {} (set TAGDEPLOY_AWS_PROVIDER_MIRROR to a filesystem mirror holding it)",
            aws.display()
        );
        return;
    }
    let ws = Workspace::new(tf, "infra-validate", "");
    let own_mirror = ws.work_dir().parent().expect("scratch dir").join("mirror");
    use_mirrors(
        &ws,
        &[
            (own_mirror.as_path(), "terraform.local/*/*"),
            (mirror.as_path(), "registry.terraform.io/hashicorp/*"),
        ],
    );
    let infra = repo_root().join("infra");
    let mut files = 0;
    for entry in std::fs::read_dir(&infra).expect("read infra").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            ws.write(
                &name,
                &std::fs::read_to_string(&path).expect("read infra file"),
            );
            files += 1;
        }
    }
    assert!(files >= 5, "infra/ holds {files} .tf files");
    ws.init();
    let lock =
        std::fs::read_to_string(ws.work_dir().join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains(&format!("version     = \"{AWS_VERSION}\"")),
        "hashicorp/aws {AWS_VERSION} was installed:\n{lock}"
    );
    let run = ws.run(&["validate", "-json", "-no-color"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|_| panic!("validate -json output:\n{}", run.transcript()));
    assert_eq!(
        report["valid"],
        true,
        "infra/ does not validate:\n{}",
        serde_json::to_string_pretty(&report["diagnostics"]).unwrap_or_default()
    );
    assert_eq!(
        report["warning_count"],
        0,
        "infra/ validates with warnings:\n{}",
        serde_json::to_string_pretty(&report["diagnostics"]).unwrap_or_default()
    );
}
