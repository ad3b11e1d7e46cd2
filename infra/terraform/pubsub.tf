locals {
  topics = toset(["inbound-messages", "payment-events", "product-changed", "scheduled-jobs"])

  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  function_publish_grants = {
    for pair in flatten([
      for name, f in local.functions : [
        for topic in f.publishes : { function = name, topic = topic }
      ]
    ]) : "${pair.function}/${pair.topic}" => pair
  }
}

resource "google_pubsub_topic" "source" {
  #checkov:skip=CKV_GCP_83:Messages carry ids and WhatsApp text already stored in Supabase without CMEK; a KMS key here would add cost without closing a gap.
  for_each = local.topics

  name   = each.value
  labels = { app = "duka" }

  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Same payloads as the source topics; see google_pubsub_topic.source.
  for_each = local.topics

  name   = "${each.value}-dead-letter"
  labels = { app = "duka" }

  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }

  depends_on = [google_project_service.enabled]
}

# Dead letters stay here for a week so an operator can inspect (or replay) them.
resource "google_pubsub_subscription" "dead_letter_inspection" {
  for_each = local.topics

  name                       = "${each.value}-dead-letter-inspect"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  labels                     = { app = "duka" }
  message_retention_duration = "604800s"
  retain_acked_messages      = true
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# Pub/Sub itself forwards undeliverable messages, so its service agent publishes to the DLQs.
# (Its subscriber grant on the Eventarc-created subscriptions is made by deploy.sh.)
resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letters" {
  for_each = local.topics

  topic  = google_pubsub_topic.dead_letter[each.key].name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic_iam_member" "function_publishes" {
  for_each = local.function_publish_grants

  topic  = google_pubsub_topic.source[each.value.topic].name
  role   = "roles/pubsub.publisher"
  member = google_service_account.function[each.value.function].member
}
