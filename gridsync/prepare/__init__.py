"""Before the diff: the target project, its inputs, and what Terraform and AWS say (I/O the pure
diff is handed as inert facts). Every command that compares desired with live state starts here."""
