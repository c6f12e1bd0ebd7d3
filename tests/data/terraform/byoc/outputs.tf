output "gridv1_cluster" {
  value     = jsonencode(local.gridv1_cluster)
  sensitive = true
}

# Not sensitive: echoes typed variables so tests can check how -var values are passed.
output "inputs" {
  value = {
    testing_cluster = var.testing_cluster
    tags            = var.tags
    instance_types  = var.instance_types
  }
}
