locals {
  role_arn = var.role_arn != "" ? var.role_arn : "arn:aws:iam::123456789012:role/${var.cluster_name}-grid"

  # The document `grid clusters aws NAME --edit-before-creation` opens, in its snake_case shape.
  gridv1_cluster = {
    name = var.cluster_name
    spec = {
      cluster_type        = "CLUSTER_TYPE_BYOC"
      performance_profile = var.cost_savings ? "CLUSTER_PERFORMANCE_PROFILE_COST_SAVING" : "CLUSTER_PERFORMANCE_PROFILE_DEFAULT"
      driver = {
        kubernetes = {
          aws = {
            region         = var.region
            role_arn       = local.role_arn
            external_id    = var.external_id
            instance_types = var.instance_types
          }
        }
      }
    }
  }
}
