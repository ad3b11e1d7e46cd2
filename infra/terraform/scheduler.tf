locals {
  scheduled_jobs = {
    sweep             = var.sweep_schedule
    reconcile         = var.reconcile_schedule
    layaway           = var.layaway_schedule
    stock_alerts      = var.stock_alerts_schedule
    broadcasts        = var.broadcasts_schedule
    follow_ups        = var.follow_ups_schedule
    privacy_retention = var.privacy_retention_schedule
  }
}

variable "privacy_retention_schedule" {
  description = "Cron schedule of the privacy_retention job (chat messages older than each boutique's retention setting, default 12 months, are deleted; money records are kept)."
  type        = string
  default     = "30 3 * * *"
}

# Each tick publishes to scheduled-jobs; the scheduled_jobs function dispatches on attribute "job".
resource "google_cloud_scheduler_job" "tick" {
  for_each = local.scheduled_jobs

  name        = "${var.name_prefix}-${each.key}"
  description = "Publishes job=${each.key} to scheduled-jobs"
  region      = var.region
  schedule    = each.value
  time_zone   = var.scheduler_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.source["scheduled-jobs"].id
    data       = base64encode(each.key)
    attributes = { job = each.key }
  }

  depends_on = [google_project_service.enabled]
}
