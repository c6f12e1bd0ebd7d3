# The variables of terraform-aws-grid-byoc-full that gridsync fixtures use, plus the cluster's
# Grid settings. No providers: this module runs offline.
variable "cluster_name" {
  type = string
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "role_arn" {
  type    = string
  default = ""
}

variable "external_id" {
  type      = string
  sensitive = true
}

variable "instance_types" {
  type = list(object({
    name                           = string
    overprovisioned_ondemand_count = number
    root_volume_size               = number
  }))
  default = [{ name = "t2.medium", overprovisioned_ondemand_count = 0, root_volume_size = 100 }]
}

variable "cost_savings" {
  type    = bool
  default = false
}

variable "testing_cluster" {
  type    = bool
  default = false
}

variable "tags" {
  type    = map(string)
  default = {}
}
