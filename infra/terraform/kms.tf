# Customer-managed keys for data Duka stores at rest outside Postgres: queued messages (customer
# WhatsApp text, payment events) and function images. Destroying a key would make that data
# unreadable forever, hence prevent_destroy.
resource "google_kms_key_ring" "duka" {
  name     = "${var.name_prefix}-keys"
  location = var.region

  depends_on = [google_project_service.enabled]
}

resource "google_kms_crypto_key" "messages" {
  name            = "pubsub-messages"
  key_ring        = google_kms_key_ring.duka.id
  rotation_period = "7776000s"
  labels          = { app = "duka" }

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key" "images" {
  name            = "function-images"
  key_ring        = google_kms_key_ring.duka.id
  rotation_period = "7776000s"
  labels          = { app = "duka" }

  lifecycle {
    prevent_destroy = true
  }
}

# Service agents are created lazily by Google; these make them exist before the key grants.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [google_project_service.enabled]
}

resource "google_project_service_identity" "artifact_registry" {
  provider = google-beta

  project = var.project_id
  service = "artifactregistry.googleapis.com"

  depends_on = [google_project_service.enabled]
}

resource "google_kms_crypto_key_iam_member" "pubsub_agent_uses_messages_key" {
  crypto_key_id = google_kms_crypto_key.messages.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = google_project_service_identity.pubsub.member
}

resource "google_kms_crypto_key_iam_member" "registry_agent_uses_images_key" {
  crypto_key_id = google_kms_crypto_key.images.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = google_project_service_identity.artifact_registry.member
}
