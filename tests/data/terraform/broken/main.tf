# Valid syntax, but planning fails: the file does not exist.
output "document" {
  value = file("${path.module}/does-not-exist.json")
}
