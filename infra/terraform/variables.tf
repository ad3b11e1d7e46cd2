variable "project_id" {
  description = "GCP project that hosts Duka (functions, topics, secrets, scheduler jobs)."
  type        = string
}

variable "region" {
  description = "Region for functions, Eventarc triggers, secret replicas and scheduler jobs. Johannesburg is the closest GCP region to Kenya."
  type        = string
  default     = "africa-south1"
}

variable "name_prefix" {
  description = "Prefix for service account ids and scheduler job names; short because service account ids are capped at 30 characters."
  type        = string
  default     = "duka"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.name_prefix))
    error_message = "name_prefix must be 2-8 lowercase letters or digits, starting with a letter."
  }
}

variable "source_bucket" {
  description = "Existing GCS bucket that holds the function source zips uploaded by deploy.sh (created once by hand, see infra/README.md)."
  type        = string
}

variable "source_objects" {
  description = "Function name -> zip object name in source_bucket (<function>-<sha256>.zip). Written by deploy.sh; a new object name redeploys that function."
  type        = map(string)
}

variable "python_runtime" {
  description = "Cloud Functions Python runtime; must match the Python that pinned requirements.txt (the project .venv)."
  type        = string
  default     = "python311"
}

variable "public_base_url" {
  description = "PUBLIC_BASE_URL for the app (base of the payment callback URLs it hands to gateways). Empty means the deterministic run.app URL of paylink_callback."
  type        = string
  default     = ""
}

variable "dashboard_base_url" {
  description = "DASHBOARD_BASE_URL: public base of the dashboard (the privacy notice and data download links customers are sent). Empty means the deterministic run.app URL of the dashboard function."
  type        = string
  default     = ""
}

variable "gemini_model" {
  description = "GEMINI_MODEL: the Gemini model the sales agent uses."
  type        = string
  default     = "gemini-2.5-flash"
}

variable "paylink_base_url" {
  description = "PAYLINK_BASE_URL: base URL of the PayLink M-Pesa gateway API."
  type        = string
}

variable "daraja_base_url" {
  description = "DARAJA_BASE_URL: Safaricom Daraja API base URL (sandbox: https://sandbox.safaricom.co.ke)."
  type        = string
  default     = "https://api.safaricom.co.ke"
}

variable "daraja_shortcode" {
  description = "DARAJA_SHORTCODE: the platform's default M-Pesa paybill/till shortcode (empty if Daraja is not used directly)."
  type        = string
  default     = ""
}

variable "daraja_transaction_type" {
  description = "DARAJA_TRANSACTION_TYPE: CustomerPayBillOnline (paybill) or CustomerBuyGoodsOnline (till)."
  type        = string
  default     = "CustomerPayBillOnline"

  validation {
    condition     = contains(["CustomerPayBillOnline", "CustomerBuyGoodsOnline"], var.daraja_transaction_type)
    error_message = "daraja_transaction_type must be CustomerPayBillOnline or CustomerBuyGoodsOnline."
  }
}

variable "daraja_party_b" {
  description = "DARAJA_PARTY_B: the till number for CustomerBuyGoodsOnline; empty means the shortcode."
  type        = string
  default     = ""
}

variable "daraja_initiator_name" {
  description = "DARAJA_INITIATOR_NAME: the API operator created on the M-Pesa org portal, needed for refunds (Reversal) and Transaction Status; its password, encrypted, is the daraja-security-credential secret. Empty: neither is available."
  type        = string
  default     = ""
}

variable "supabase_url" {
  description = "SUPABASE_URL: the Supabase project URL (product image storage)."
  type        = string
}

variable "supabase_storage_bucket" {
  description = "SUPABASE_STORAGE_BUCKET: Supabase storage bucket for product images."
  type        = string
  default     = "product-images"
}

variable "log_level" {
  description = "LOG_LEVEL for every function."
  type        = string
  default     = "INFO"
}

variable "scheduler_time_zone" {
  description = "Time zone for the Cloud Scheduler schedules."
  type        = string
  default     = "Africa/Nairobi"
}

variable "sweep_schedule" {
  description = "Cron schedule of the sweep job (republish stored-but-unpublished inbound messages, relay the product outbox, deliver outbound messages left pending)."
  type        = string
  default     = "* * * * *"
}

variable "reconcile_schedule" {
  description = "Cron schedule of the reconcile job (query payments pending > 2 min, expire unpaid orders after 15 min)."
  type        = string
  default     = "* * * * *"
}

variable "layaway_schedule" {
  description = "Cron schedule of the layaway job (lipa pole pole reminders on the shop's cadence; plans past their term lapse and release their stock)."
  type        = string
  default     = "*/5 * * * *"
}

variable "stock_alerts_schedule" {
  description = "Cron schedule of the stock_alerts job (back-in-stock alerts: each customer waiting for a size that has stock again gets one template)."
  type        = string
  default     = "* * * * *"
}

variable "follow_ups_schedule" {
  description = "Cron schedule of the follow_ups job (a quiet cart gets a reminder, an ended M-Pesa prompt an offer to try again; at most 2 per cart)."
  type        = string
  default     = "*/5 * * * *"
}

variable "broadcasts_schedule" {
  description = "Cron schedule of the broadcasts job (sends each unfinished broadcast to its next recipients, under the number's daily messaging limit)."
  type        = string
  default     = "* * * * *"
}

variable "whatsapp_webhook_url" {
  description = "The exact URL configured in Twilio for incoming WhatsApp messages (signatures are checked against it). Empty = the whatsapp_inbound function's own URL + /webhook/whatsapp."
  type        = string
  default     = ""
}
