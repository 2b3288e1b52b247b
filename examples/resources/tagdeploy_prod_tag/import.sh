# The import ID is <repository>:<tag>: here, the `prod` tag of repository `example`.
terraform import tagdeploy_prod_tag.example example:prod
