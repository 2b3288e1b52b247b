//! The states ECS reports, as enums: service status, deployment status, rollout state, task
//! status, and the RFC 013 status this provider derives from them.
//!
//! ECS sends these as strings and may add values; `ecs_enum!` declares each enum once with
//! its spellings, and keeps an unknown spelling as `Other` rather than failing or guessing, so
//! state and reports show exactly what ECS said. New ECS enums (service-deployment statuses,
//! lifecycle stages) are one more `ecs_enum!` here.

use std::fmt;

/// Declares an enum of ECS strings: the variants with their spellings, plus `Other(String)`;
/// `parse`, `as_str`, `Display` and `From<&str>`.
macro_rules! ecs_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$variant_doc:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_doc])* $variant, )+
            /// A value this provider does not know, exactly as ECS spelled it.
            Other(String),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value ECS spelled `text`.
            pub fn parse(text: &str) -> $name {
                match text {
                    $( $text => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }

            /// The value as ECS spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(text) => text,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::parse(text)
            }
        }
    };
}

ecs_enum! {
    /// A service's `status`.
    ServiceStatus {
        /// In service.
        Active = "ACTIVE",
        /// Being deleted.
        Draining = "DRAINING",
        /// Deleted.
        Inactive = "INACTIVE",
    }
}

ecs_enum! {
    /// A deployment's `status`: the newest is PRIMARY, the ones it replaces ACTIVE until
    /// drained, then INACTIVE.
    DeploymentStatus {
        /// The deployment new tasks come from.
        Primary = "PRIMARY",
        /// An older deployment whose tasks are still being replaced.
        Active = "ACTIVE",
        /// A finished-with deployment.
        Inactive = "INACTIVE",
    }
}

ecs_enum! {
    /// A deployment's `rolloutState` (reported for rolling deployments with the circuit
    /// breaker; absent otherwise).
    RolloutState {
        /// Still rolling.
        InProgress = "IN_PROGRESS",
        /// Every desired task runs and is healthy.
        Completed = "COMPLETED",
        /// The circuit breaker stopped the rollout.
        Failed = "FAILED",
    }
}

ecs_enum! {
    /// A task's `lastStatus` or `desiredStatus`.
    TaskStatus {
        /// Setting up networking.
        Provisioning = "PROVISIONING",
        /// Waiting to start.
        Pending = "PENDING",
        /// Starting.
        Activating = "ACTIVATING",
        /// Running.
        Running = "RUNNING",
        /// Stopping its containers.
        Deactivating = "DEACTIVATING",
        /// Stopping.
        Stopping = "STOPPING",
        /// Tearing down networking.
        Deprovisioning = "DEPROVISIONING",
        /// Stopped.
        Stopped = "STOPPED",
        /// Gone.
        Deleted = "DELETED",
    }
}

/// The RFC 013 status of one deployment of a service, as this provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RfcStatus {
    /// The only deployment, running every desired task.
    Complete,
    /// The PRIMARY deployment while older ones still run.
    InProgress,
    /// The only deployment, running fewer or more tasks than desired.
    NotStable,
    /// Replaced; its tasks are still stopping.
    Retiring,
    /// Replaced and drained.
    Retired,
    /// No longer listed by ECS.
    Dead,
}

impl RfcStatus {
    /// The status as the RFC spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RfcStatus::Complete => "COMPLETE",
            RfcStatus::InProgress => "IN_PROGRESS",
            RfcStatus::NotStable => "NOT_STABLE",
            RfcStatus::Retiring => "RETIRING",
            RfcStatus::Retired => "RETIRED",
            RfcStatus::Dead => "DEAD",
        }
    }
}

impl fmt::Display for RfcStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_ones_are_kept() {
        for status in DeploymentStatus::KNOWN {
            assert_eq!(&DeploymentStatus::parse(status.as_str()), status);
        }
        for state in RolloutState::KNOWN {
            assert_eq!(&RolloutState::parse(state.as_str()), state);
        }
        for status in TaskStatus::KNOWN {
            assert_eq!(&TaskStatus::from(status.as_str()), status);
        }
        assert_eq!(ServiceStatus::parse("ACTIVE"), ServiceStatus::Active);
        let new = RolloutState::parse("ROLLING_BACK");
        assert_eq!(new, RolloutState::Other("ROLLING_BACK".into()));
        assert_eq!(new.to_string(), "ROLLING_BACK");
        assert_eq!(RfcStatus::NotStable.to_string(), "NOT_STABLE");
    }
}
