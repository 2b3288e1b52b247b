//! The wait as the `tagdeploy_redeploy` action uses it: a deployment followed without an image
//! to deliver succeeds once SUCCESSFUL, without reading its revision (no
//! DescribeServiceRevisions); with an image, the revision is checked as for a promotion.

use std::time::Duration;

use terraform_provider_tagdeploy::aws::ecs::{
    ExpectedImage, Follow, NoProgress, Verdict, WaitOptions,
};
use terraform_provider_tagdeploy::aws::image::RepositoryRef;
use tokio_util::sync::CancellationToken;

use crate::support::emulator::{Emulated, demo_world_json};
use crate::support::observe::Observe;

#[tokio::test]
async fn redeploy_wait_without_an_expected_image_reads_no_revision() {
    let env = Emulated::manual(demo_world_json()).await;
    let _clock = env.tick_in_background(Duration::from_millis(5));
    let options = WaitOptions {
        poll_interval: Duration::from_millis(10),
        max_poll_interval: Duration::from_millis(50),
        ..WaitOptions::new(Duration::from_secs(30), CancellationToken::new())
    };
    let expected = ExpectedImage {
        repository: RepositoryRef::new("example"),
        tag: "prod".into(),
        digest: env.typed_digest("prod"),
    };
    for (image, revisions_read) in [(None, 0), (Some(expected), 1)] {
        env.handle.clear_requests();
        let started = env
            .ecs
            .force_new_deployments(&[("example".to_owned(), "example".to_owned())])
            .await;
        let follow: Vec<Follow> = started
            .into_iter()
            .map(|d| Follow {
                deployment: d.expect("deployment started"),
                expected: image.clone(),
            })
            .collect();
        let outcomes = env
            .ecs
            .wait_for_deployments(&follow, &options, &NoProgress)
            .await
            .expect("the redeploy succeeds");
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].verdict, Verdict::Succeeded);
        assert_eq!(
            env.count("DescribeServiceRevisions"),
            revisions_read,
            "expected image {image:?}: {:?}",
            env.operations()
        );
    }
}
