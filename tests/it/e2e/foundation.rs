//! The foundation seen from Terraform: the `parse_image_uri` function returns the right objects,
//! and the process exits on Shutdown instead of being killed. The schema is checked in `schema`;
//! refused provider blocks and function arguments are in `reliability::bad_input`.

use crate::support::terraform::{Terraform, Workspace, required_providers, terraform_test};

const ACCOUNT_URI: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

terraform_test!(parse_image_uri_returns_each_part);
fn parse_image_uri_returns_each_part(tf: &Terraform) {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let cases = [
        ("tag", format!("{ACCOUNT_URI}/team/app:hash_2")),
        ("digest", format!("{ACCOUNT_URI}/app@{digest}")),
        ("both", format!("{ACCOUNT_URI}/app:prod@{digest}")),
        ("neither", format!("{ACCOUNT_URI}/app")),
        (
            "china",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1".to_owned(),
        ),
    ];
    let mut config = required_providers();
    for (name, uri) in &cases {
        config.push_str(&format!(
            "output \"{name}\" {{\n  value = provider::tagdeploy::parse_image_uri(\"{uri}\")\n}}\n"
        ));
    }
    let ws = Workspace::new(tf, "parse-uri", &config);
    ws.init();
    ws.apply(&[]);
    let outputs = ws.outputs();
    let value = |name: &str| outputs[name]["value"].clone();
    assert_eq!(
        value("tag"),
        serde_json::json!({"registry_id": "123456789012", "region": "eu-west-1", "repository": "team/app", "tag": "hash_2", "digest": null})
    );
    assert_eq!(
        value("digest"),
        serde_json::json!({"registry_id": "123456789012", "region": "eu-west-1", "repository": "app", "tag": null, "digest": digest})
    );
    assert_eq!(
        value("both"),
        serde_json::json!({"registry_id": "123456789012", "region": "eu-west-1", "repository": "app", "tag": "prod", "digest": digest})
    );
    assert_eq!(
        value("neither"),
        serde_json::json!({"registry_id": "123456789012", "region": "eu-west-1", "repository": "app", "tag": null, "digest": null})
    );
    assert_eq!(value("china")["region"], "cn-north-1");
    // The function's result type is an object with exactly these attributes.
    let ty = &outputs["tag"]["type"];
    assert_eq!(ty[0], "object", "type: {ty}");
}

terraform_test!(provider_exits_on_shutdown);
fn provider_exits_on_shutdown(tf: &Terraform) {
    let config = format!(
        "{}\nprovider \"tagdeploy\" {{\n  region = \"eu-west-1\"\n}}\noutput \"x\" {{\n  value = provider::tagdeploy::parse_image_uri(\"{ACCOUNT_URI}/app:v1\")\n}}\n",
        required_providers()
    );
    let mut ws = Workspace::new(tf, "shutdown", &config);
    ws.init();
    // go-plugin logs how each plugin process ended; a provider that ignores Shutdown is killed
    // after 2 s and go-plugin says it "failed to exit gracefully".
    ws.set_env("TF_LOG", "DEBUG");
    let run = ws.run(&["plan", "-no-color"]).success();
    assert!(
        run.stderr.contains("terraform-provider-tagdeploy")
            && run.stderr.contains("plugin process exited"),
        "go-plugin did not report our provider exiting:\n{}",
        run.stderr
            .lines()
            .filter(|l| l.contains("plugin"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !run.stderr.contains("plugin failed to exit gracefully"),
        "the provider had to be killed:\n{}",
        run.stderr
            .lines()
            .filter(|l| l.contains("plugin"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("plan with TF_LOG=DEBUG took {:?}", run.elapsed);
}
