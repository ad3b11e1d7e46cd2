# Secrets are created empty; values are added out of band (infra/README.md) so they never reach
# Terraform state or the repo. Functions read the latest version as env vars at instance start.
locals {
  secret_env_names = toset(flatten([for f in local.functions : f.secrets]))

  function_secret_grants = {
    for pair in flatten([
      for name, f in local.functions : [
        for secret in f.secrets : { function = name, secret = secret }
      ]
    ]) : "${pair.function}/${pair.secret}" => pair
  }
}

resource "google_secret_manager_secret" "runtime" {
  for_each = local.secret_env_names

  secret_id = lower(replace(each.value, "_", "-"))
  labels    = { app = "duka" }

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "function_reads" {
  for_each = local.function_secret_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.runtime[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

# Per-boutique payment credentials are created by operators as boutiques sign up, so they cannot
# be granted one by one here; the condition limits the grant to secrets named with the prefix,
# and only functions that push or query payments get it (not the dashboard).
resource "google_project_iam_member" "boutique_secret_reads" {
  for_each = local.boutique_payments

  project = var.project_id
  role    = "roles/secretmanager.secretAccessor"
  member  = google_service_account.function[each.key].member

  condition {
    title       = "boutique-credentials-only"
    description = "Only secrets whose id starts with ${local.boutique_secret_prefix}"
    expression  = "resource.name.startsWith(\"projects/${data.google_project.this.number}/secrets/${local.boutique_secret_prefix}\")"
  }
}
