locals {
  function_urls = { for name, f in google_cloudfunctions2_function.function : name => f.service_config[0].uri }
}

output "twilio_whatsapp_webhook_url" {
  description = "Paste into Twilio: WhatsApp sender -> 'A message comes in' (HTTP POST)."
  value       = local.whatsapp_webhook_url
}

output "paylink_callback_url" {
  description = "Register with PayLink as the payment callback URL."
  value       = "${local.function_urls["paylink_callback"]}/webhook/paylink/callback"
}

output "daraja_callback_url_pattern" {
  description = "Daraja STK push CallBackURL; the app fills in the boutique and its own token, HMAC-SHA256(DARAJA_CALLBACK_TOKEN, business_id)."
  value       = "${local.function_urls["paylink_callback"]}/webhook/daraja/callback/<business_id>/<boutique_token>"
}

output "dashboard_url" {
  description = "Boutique owner dashboard."
  value       = local.function_urls["dashboard"]
}

output "public_base_url" {
  description = "PUBLIC_BASE_URL the functions were given."
  value       = local.public_base_url
}

output "source_objects" {
  description = "Deployed source zip per function; deploy.sh reuses these for functions it does not rebuild."
  value       = var.source_objects
}

output "secret_ids" {
  description = "Secret Manager secrets that must each hold an enabled version before functions deploy."
  value       = sort([for s in google_secret_manager_secret.runtime : s.secret_id])
}

output "event_triggers" {
  description = "Pub/Sub-triggered function -> its Eventarc trigger and dead-letter topic; deploy.sh attaches the DLQ to the trigger's subscription."
  value = {
    for name, f in local.pubsub_functions : name => {
      trigger           = google_cloudfunctions2_function.function[name].event_trigger[0].trigger
      dead_letter_topic = google_pubsub_topic.dead_letter[f.topic].id
    }
  }
}

output "pubsub_service_agent" {
  description = "Pub/Sub service agent; needs subscriber on each Eventarc subscription for dead-lettering."
  value       = google_project_service_identity.pubsub.member
}
