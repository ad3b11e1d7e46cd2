locals {
  topics = toset(["inbound-messages", "payment-events", "product-changed", "scheduled-jobs"])

  function_publish_grants = {
    for pair in flatten([
      for name, f in local.functions : [
        for topic in f.publishes : { function = name, topic = topic }
      ]
    ]) : "${pair.function}/${pair.topic}" => pair
  }
}

resource "google_pubsub_topic" "source" {
  for_each = local.topics

  name         = each.value
  labels       = { app = "duka" }
  kms_key_name = google_kms_crypto_key.messages.id

  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }

  depends_on = [google_kms_crypto_key_iam_member.pubsub_agent_uses_messages_key]
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.topics

  name         = "${each.value}-dead-letter"
  labels       = { app = "duka" }
  kms_key_name = google_kms_crypto_key.messages.id

  message_storage_policy {
    allowed_persistence_regions = [var.region]
  }

  depends_on = [google_kms_crypto_key_iam_member.pubsub_agent_uses_messages_key]
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
  member = google_project_service_identity.pubsub.member
}

resource "google_pubsub_topic_iam_member" "function_publishes" {
  for_each = local.function_publish_grants

  topic  = google_pubsub_topic.source[each.value.topic].name
  role   = "roles/pubsub.publisher"
  member = google_service_account.function[each.value.function].member
}

# Messages that exhausted their retries reach a function with "dead_letters" (process_message)
# once more: it marks them and flags the chat for the owner (the topic path in the URL tells it
# apart).
resource "google_pubsub_subscription" "dead_letter_handler" {
  for_each = { for name, f in local.pubsub_functions : name => f if f.dead_letters }

  name                 = "${each.value.topic}-dead-letter-handler"
  topic                = google_pubsub_topic.dead_letter[each.value.topic].id
  labels               = { app = "duka" }
  ack_deadline_seconds = 60

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.function[each.key].service_config[0].uri}/${google_pubsub_topic.dead_letter[each.value.topic].id}"
    oidc_token {
      service_account_email = google_service_account.trigger[each.key].email
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }
}

moved {
  from = google_pubsub_subscription.inbound_dead_letter_handler
  to   = google_pubsub_subscription.dead_letter_handler["process_message"]
}
