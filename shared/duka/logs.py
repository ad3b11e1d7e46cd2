"""One JSON object per log line, the shape Cloud Logging reads (severity, message, ids).

Every line is redacted before it is written: phone numbers are masked to their last three
digits, and secrets (credential values from the environment, bearer tokens, URL passwords,
M-Pesa PINs, card numbers) are replaced. The same redaction guards what the agent sends.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Collection
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from duka.phone import mask_phone_numbers

REDACTED = "[redacted]"
# Credentials arrive as environment variables (Secret Manager in production); these names, and
# any ending like a credential, are scrubbed wherever their values appear.
SECRET_ENV_NAMES = frozenset(
    {
        "TWILIO_AUTH_TOKEN",
        "PAYLINK_API_KEY",
        "PAYLINK_WEBHOOK_SECRET",
        "DARAJA_CONSUMER_KEY",
        "DARAJA_CONSUMER_SECRET",
        "DARAJA_PASSKEY",
        "DARAJA_CALLBACK_TOKEN",
        "DARAJA_SECURITY_CREDENTIAL",
        "GEMINI_API_KEY",
        "DASHBOARD_SESSION_KEY",
        "SUPABASE_SERVICE_ROLE_KEY",
    }
)
_SECRET_SUFFIXES = ("_SECRET", "_TOKEN", "_KEY", "_PASSKEY", "_PASSWORD")
_MIN_SECRET_LENGTH = 8  # shorter values would scrub ordinary words

_URL_PASSWORD = re.compile(r"(?<=://)([^:/@\s]+):([^@\s]+)@")
# A boutique's Daraja callback token sits in its callback path after the business id.
_CALLBACK_PATH_TOKEN = re.compile(r"(/webhook/daraja/callback/[\w-]+/)[A-Za-z0-9]{8,}")
_AUTH_HEADER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_PIN = re.compile(r"\b(pin)(\W{0,3}(?:\w+\W{1,3}){0,2}?)\d{4,6}\b", re.IGNORECASE)
_CARD = re.compile(r"(?<![\w])\d(?:[\s-]?\d){12,18}(?![\w])")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _secret_name(name: str) -> bool:
    return (
        name in SECRET_ENV_NAMES
        or name.endswith(_SECRET_SUFFIXES)
        or name.startswith("BOUTIQUE_")  # a boutique's own gateway credentials (JSON)
    )


def _secret_values() -> frozenset[str]:
    values: set[str] = set()
    for name, value in os.environ.items():
        if _secret_name(name):
            values.add(value)
            if value.startswith("{"):  # a JSON object of credentials
                try:
                    values.update(str(v) for v in json.loads(value).values())
                except (ValueError, AttributeError):
                    pass
        elif name.endswith("_URL"):
            values.update(match.group(2) for match in _URL_PASSWORD.finditer(value))
    return frozenset(v for v in values if len(v) >= _MIN_SECRET_LENGTH)


@lru_cache(maxsize=8)
def _secrets_pattern(values: frozenset[str]) -> re.Pattern[str] | None:
    if not values:
        return None
    ordered = sorted(values, key=len, reverse=True)  # longest first: no partial leftovers
    return re.compile("|".join(re.escape(value) for value in ordered))


def scrub_secrets(text: str) -> str:
    """Replace credentials, URL passwords, auth headers, M-Pesa PINs and card numbers."""
    pattern = _secrets_pattern(_secret_values())
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
    text = _CALLBACK_PATH_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _PIN.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _CARD.sub(lambda m: REDACTED if _luhn_valid(_digits(m.group())) else m.group(), text)


def redact(text: str, keep_phones: Collection[str] = ()) -> str:
    """Everything a log line or a reply must not carry: secrets, then phone numbers."""
    return mask_phone_numbers(scrub_secrets(text), keep_phones)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)


def log(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Log with structured fields (ids, stage timings) merged into the JSON line."""
    logger.log(level, message, extra={"fields": fields})


__all__ = [
    "JsonFormatter",
    "configure_logging",
    "log",
    "mask_phone_numbers",
    "redact",
    "scrub_secrets",
]
