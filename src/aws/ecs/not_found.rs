//! Which modelled errors of the ECS operations mean a missing cluster or service, said once
//! for every operation.

use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksError;
use aws_sdk_ecs::operation::list_tasks::ListTasksError;
use aws_sdk_ecs::operation::update_service::UpdateServiceError;

use crate::aws::error::EcsError;

/// A modelled ECS error that may say the cluster or the service does not exist.
pub(super) trait NotFound {
    /// ClusterNotFoundException.
    fn cluster_missing(&self) -> bool;

    /// ServiceNotFoundException (or, for UpdateService, ServiceNotActiveException).
    fn service_missing(&self) -> bool {
        false
    }
}

impl NotFound for DescribeServicesError {
    fn cluster_missing(&self) -> bool {
        self.is_cluster_not_found_exception()
    }
}

impl NotFound for DescribeTasksError {
    fn cluster_missing(&self) -> bool {
        self.is_cluster_not_found_exception()
    }
}

impl NotFound for ListTasksError {
    fn cluster_missing(&self) -> bool {
        self.is_cluster_not_found_exception()
    }

    fn service_missing(&self) -> bool {
        self.is_service_not_found_exception()
    }
}

impl NotFound for UpdateServiceError {
    fn cluster_missing(&self) -> bool {
        self.is_cluster_not_found_exception()
    }

    fn service_missing(&self) -> bool {
        self.is_service_not_found_exception() || self.is_service_not_active_exception()
    }
}

/// For [`crate::aws::call::Failed::interpret`]: the domain error of a missing `cluster` or
/// `service` (the one the call was about), when the modelled error says so.
pub(super) fn missing<'a, E: NotFound>(
    cluster: &'a str,
    service: Option<&'a str>,
) -> impl FnOnce(&E) -> Option<EcsError> + 'a {
    move |error| {
        if error.cluster_missing() {
            Some(EcsError::ClusterNotFound {
                cluster: cluster.to_owned(),
            })
        } else if error.service_missing() {
            service.map(|service| EcsError::ServicesNotFound {
                cluster: cluster.to_owned(),
                names: vec![service.to_owned()],
            })
        } else {
            None
        }
    }
}
