# The import ID is <tag>:<image>=<repository>,… (sorted by image name); an image named like its
# repository may be written as the repository alone. Here: tag `prod` of images `api` and
# `worker`, in repositories of the same names.
terraform import tagdeploy_release.prod prod:api,worker
