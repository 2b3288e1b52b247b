//! Provider-defined functions (`provider::tagdeploy::NAME(...)`), one file each.

pub mod parse_image_uri;
