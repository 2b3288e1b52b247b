//! terraform-provider-tagdeploy: declarative, safe container releases on AWS ECS.

pub mod tfplugin;
