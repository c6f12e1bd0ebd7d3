# Like terraform-aws-gridbyoc: a role for Grid to assume, not a whole cluster document.
variable "role_name" {
  type    = string
  default = "grid"
}

variable "external_id" {
  type      = string
  sensitive = true
}

output "role_arn" {
  value = "arn:aws:iam::123456789012:role/${var.role_name}"
}

output "role_name" {
  value = var.role_name
}

output "external_id" {
  value     = var.external_id
  sensitive = true
}
