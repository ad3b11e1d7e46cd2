# The function registry is functions/manifest.json, which the local stack reads too: adding a
# function is adding one entry there (and functions/<name>/main.py). infra/README.md, "Adding a
# function", explains each field; this map is its Terraform shape.
locals {
  # duka.orders.gateway_choice derives every boutique's secret name as boutique-<business_id>-<gateway>.
  boutique_secret_prefix = "boutique-"

  manifest = jsondecode(file("${path.module}/../../functions/manifest.json"))

  functions = {
    for name, f in local.manifest.functions : name => {
      trigger       = f.trigger
      topic         = f.topic
      entry_point   = f.entry_point
      public        = length(f.public_paths) > 0 # webhooks and the dashboard check their own auth
      memory        = f.resources.memory
      cpu           = f.resources.cpu
      timeout       = f.resources.timeout
      max_instances = f.resources.max_instances
      concurrency   = f.resources.concurrency
      # Functions that push or query payments get the gateway secrets PayLinkConfig /
      # DarajaConfig.from_env need, and may read per-boutique credential secrets.
      secrets          = concat(f.secrets, f.pays ? local.manifest.payment_gateway_secrets : [])
      publishes        = f.publishes
      boutique_secrets = f.pays
      dead_letters     = f.dead_letters
    }
  }

  # Cloud Run service names (and so function names) cannot contain "_".
  function_ids      = { for name, f in local.functions : name => replace(name, "_", "-") }
  pubsub_functions  = { for name, f in local.functions : name => f if f.trigger == "pubsub" }
  public_functions  = { for name, f in local.functions : name => f if f.public }
  boutique_payments = { for name, f in local.functions : name => f if f.boutique_secrets }

  public_base_url = (
    var.public_base_url != ""
    ? var.public_base_url
    : "https://${local.function_ids["paylink_callback"]}-${data.google_project.this.number}.${var.region}.run.app"
  )

  # The privacy notice and data download links sent to customers are dashboard pages.
  dashboard_base_url = (
    var.dashboard_base_url != ""
    ? var.dashboard_base_url
    : "https://${local.function_ids["dashboard"]}-${data.google_project.this.number}.${var.region}.run.app"
  )

  # Twilio signs the exact URL it posts to; the webhook checks signatures against this value,
  # and the output tells the operator to paste this same URL into Twilio.
  whatsapp_webhook_url = (
    var.whatsapp_webhook_url != ""
    ? var.whatsapp_webhook_url
    : "https://${local.function_ids["whatsapp_inbound"]}-${data.google_project.this.number}.${var.region}.run.app/webhook/whatsapp"
  )

  environment_settings = {
    DUKA_ENV                = "production"
    WHATSAPP_WEBHOOK_URL    = local.whatsapp_webhook_url
    GCP_PROJECT             = var.project_id
    PUBLIC_BASE_URL         = local.public_base_url
    DASHBOARD_BASE_URL      = local.dashboard_base_url
    GEMINI_MODEL            = var.gemini_model
    PAYLINK_BASE_URL        = var.paylink_base_url
    DARAJA_BASE_URL         = var.daraja_base_url
    DARAJA_SHORTCODE        = var.daraja_shortcode
    DARAJA_TRANSACTION_TYPE = var.daraja_transaction_type
    DARAJA_PARTY_B          = var.daraja_party_b
    DARAJA_INITIATOR_NAME   = var.daraja_initiator_name
    SUPABASE_URL            = var.supabase_url
    SUPABASE_STORAGE_BUCKET = var.supabase_storage_bucket
    LOG_LEVEL               = var.log_level
  }
  # Optional settings are left out when empty, so the app's own defaults apply.
  common_environment = { for name, value in local.environment_settings : name => value if value != "" }
}

resource "google_service_account" "function" {
  for_each = local.functions

  account_id   = "${var.name_prefix}-${local.function_ids[each.key]}"
  display_name = "Duka ${each.key} runtime"
  description  = "Runs the ${each.key} function; holds only its own topic and secret grants."
}

# Identity Eventarc's push subscription uses to invoke a Pub/Sub-triggered function.
resource "google_service_account" "trigger" {
  for_each = local.pubsub_functions

  account_id   = "${var.name_prefix}-${local.function_ids[each.key]}-push"
  display_name = "Duka ${each.key} trigger"
  description  = "Delivers ${each.value.topic} messages to ${each.key}; may invoke only that function."
}

# Cloud Build identity for function builds, instead of the default compute service account.
resource "google_service_account" "build" {
  account_id   = "${var.name_prefix}-function-build"
  display_name = "Duka function builds"
}

# Built function images; a repository of our own lets the build write here and nowhere else.
resource "google_artifact_registry_repository" "functions" {
  repository_id = "${var.name_prefix}-functions"
  location      = var.region
  format        = "DOCKER"
  description   = "Duka Cloud Functions images"
  labels        = { app = "duka" }
  kms_key_name  = google_kms_crypto_key.images.id

  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.registry_agent_uses_images_key]
}

resource "google_artifact_registry_repository_iam_member" "build_pushes_images" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

resource "google_project_iam_member" "build_writes_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

# Project-wide read because the build fetches the copy Cloud Functions makes in its own
# gcf-v2-sources-* bucket, which does not exist until the first deploy.
resource "google_project_iam_member" "build_reads_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  name        = local.function_ids[each.key]
  location    = var.region
  description = "Duka ${each.key}"
  labels      = { app = "duka", function = local.function_ids[each.key] }

  build_config {
    runtime           = var.python_runtime
    entry_point       = each.value.entry_point
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = var.source_bucket
        object = lookup(var.source_objects, each.key, "")
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    service_account_email            = google_service_account.function[each.key].email
    ingress_settings                 = each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    environment_variables            = local.common_environment

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.runtime[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  dynamic "event_trigger" {
    for_each = each.value.trigger == "pubsub" ? [each.value.topic] : []
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = google_pubsub_topic.source[event_trigger.value].id
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.trigger[each.key].email
    }
  }

  lifecycle {
    precondition {
      condition     = lookup(var.source_objects, each.key, "") != ""
      error_message = "No source zip for ${each.key}: deploy it with ./deploy.sh ${each.key} (or add functions/${each.key}/main.py)."
    }
  }

  # A function only deploys once its identity can read its secrets and the build can run.
  depends_on = [
    google_project_service.enabled,
    google_secret_manager_secret_iam_member.function_reads,
    google_artifact_registry_repository_iam_member.build_pushes_images,
    google_project_iam_member.build_writes_logs,
    google_project_iam_member.build_reads_sources,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  #checkov:skip=CKV_GCP_102:Twilio, the payment gateways and the owner's browser call these without Google credentials; each function verifies signatures / tokens / a one-time code itself.
  for_each = local.public_functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "trigger_invoker" {
  for_each = local.pubsub_functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.trigger[each.key].member
}
