#!/usr/bin/env bash
# Build, upload and deploy Duka's Cloud Functions (infra/README.md explains the first-time setup).
#
#   ./deploy.sh [--dry-run] [--yes] [function ...]     (default: every functions/*/main.py)
#
# Each function ships as a zip of its folder, the runtime package `duka` vendored as duka/ (never
# the local harness `duka_local`) and a requirements.txt pinned to the versions installed in .venv.
# Zips are deterministic, so the object name <function>-<sha256>.zip changes only when the code or
# a pin changes, and Terraform redeploys exactly the functions whose zip changed.
#
# --dry-run  only build the zips (into $DUKA_BUILD_DIR, default build/functions) and print the
#            rest; needs neither gcloud, terraform nor credentials.
# --yes      apply Terraform without asking.
#
# Needs (not for --dry-run): DUKA_GCP_PROJECT, DUKA_SOURCE_BUCKET, DUKA_TF_STATE_BUCKET
# (optionally DUKA_TF_STATE_PREFIX, default duka/prod) and infra/terraform/terraform.tfvars.
set -euo pipefail
cd "$(dirname "$0")"

ROOT=$PWD
TF_DIR=$ROOT/infra/terraform
PYTHON=$ROOT/.venv/bin/python
BUILD_DIR=${DUKA_BUILD_DIR:-$ROOT/build/functions}

die() {
  echo "deploy.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

dry_run=false
auto_approve=()
selected=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    --yes) auto_approve=(-auto-approve) ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) die "unknown option $arg (see ./deploy.sh --help)" ;;
    *) selected+=("$arg") ;;
  esac
done

if [ ${#selected[@]} -eq 0 ]; then
  for main in functions/*/main.py; do
    [ -f "$main" ] && selected+=("$(basename "$(dirname "$main")")")
  done
  [ ${#selected[@]} -gt 0 ] || die "no functions/*/main.py found: nothing to deploy"
fi
for name in "${selected[@]}"; do
  [ -f "functions/$name/main.py" ] || die "functions/$name/main.py does not exist"
done

[ -x "$PYTHON" ] || die ".venv is missing: run ./dev test once to create it (pins come from it)"

# --- preflight: fail before building anything if the deploy cannot succeed ---------------------
require_env() {
  local missing=()
  for var in "$@"; do
    [ -n "${!var:-}" ] || missing+=("$var")
  done
  [ ${#missing[@]} -eq 0 ] || die "set ${missing[*]} (see infra/README.md)"
}

preflight() {
  command -v gcloud >/dev/null || die "gcloud is not installed: https://cloud.google.com/sdk/docs/install"
  command -v terraform >/dev/null || die "terraform is not installed: https://developer.hashicorp.com/terraform/install"
  require_env DUKA_GCP_PROJECT DUKA_SOURCE_BUCKET DUKA_TF_STATE_BUCKET
  [ -f "$TF_DIR/terraform.tfvars" ] ||
    die "infra/terraform/terraform.tfvars is missing: copy terraform.tfvars.example and fill it in"
  gcloud auth print-access-token >/dev/null 2>&1 || die "gcloud is not logged in: run gcloud auth login"
  gcloud auth application-default print-access-token >/dev/null 2>&1 ||
    die "Terraform has no credentials: run gcloud auth application-default login"
  gcloud storage buckets describe "gs://$DUKA_SOURCE_BUCKET" --project "$DUKA_GCP_PROJECT" \
    >/dev/null 2>&1 || die "source bucket gs://$DUKA_SOURCE_BUCKET not found (see infra/README.md)"
}

$dry_run || preflight
BUILD_DIR=$(mkdir -p "$BUILD_DIR" && cd "$BUILD_DIR" && pwd)

# --- build: deterministic zips and the manifest "<function>\t<zip path>\t<object name>" -----------
"$PYTHON" - "$ROOT" "$BUILD_DIR" "${selected[@]}" <<'PY'
"""Package functions: folder + vendored duka/ + pinned requirements.txt, as reproducible zips."""

import hashlib
import importlib.metadata as metadata
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether a requirement's marker holds on this (= the runtime's) Python, for those extras."""
    marker = requirement.marker
    return marker is None or any(marker.evaluate({"extra": extra}) for extra in extras or {""})


def pinned_runtime_requirements(pyproject: Path) -> str:
    """Pins for the closure of [project].dependencies, at the versions installed in .venv."""
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pending = [req for req in map(Requirement, declared) if applies(req, set())]
    seen_extras: dict[str, set[str]] = {}
    pins: dict[str, str] = {}
    while pending:
        requirement = pending.pop()
        key = canonicalize_name(requirement.name)
        if key in seen_extras and requirement.extras <= seen_extras[key]:
            continue
        extras = seen_extras.setdefault(key, set())
        extras.update(requirement.extras)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"deploy.sh: {requirement.name} is not installed in .venv: run ./dev test")
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        children = map(Requirement, dist.requires or [])
        pending.extend(child for child in children if applies(child, extras))
    header = "# Generated by deploy.sh: pyproject.toml runtime dependencies pinned to .venv.\n"
    return header + "".join(f"{pins[key]}\n" for key in sorted(pins))


def package_files(folder: Path, prefix: str, skip: set[str]) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_dir() or SKIPPED_PARTS & set(relative.parts) or path.suffix == ".pyc":
            continue
        if str(relative) in skip:
            continue
        files[prefix + relative.as_posix()] = path.read_bytes()
    return files


def deterministic_zip(files: dict[str, bytes], destination: Path) -> None:
    with zipfile.ZipFile(destination, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=9)


def main(root: Path, build_dir: Path, functions: list[str]) -> None:
    requirements = pinned_runtime_requirements(root / "pyproject.toml").encode()
    duka = package_files(root / "shared" / "duka", "duka/", skip=set())
    for stale in build_dir.glob("*.zip"):
        stale.unlink()
    manifest = []
    for function in functions:
        files = package_files(root / "functions" / function, "", skip={"requirements.txt"})
        files.update(duka)
        files["requirements.txt"] = requirements
        staging = build_dir / f"{function}.zip.tmp"
        deterministic_zip(files, staging)
        digest = hashlib.sha256(staging.read_bytes()).hexdigest()
        zip_path = staging.rename(build_dir / f"{function}-{digest}.zip")
        manifest.append(f"{function}\t{zip_path}\t{zip_path.name}\n")
    (build_dir / "manifest.tsv").write_text("".join(manifest))


main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
PY

declare -A zip_path object_name
while IFS=$'\t' read -r name path object; do
  zip_path[$name]=$path
  object_name[$name]=$object
done <"$BUILD_DIR/manifest.tsv"
for name in "${selected[@]}"; do
  echo "built ${zip_path[$name]}"
done

# Terraform needs every function's object: rebuilt ones plus what is deployed for the others.
write_source_objects() {
  local deployed=$1
  "$PYTHON" - "$BUILD_DIR/manifest.tsv" "$deployed" >"$BUILD_DIR/source_objects.tfvars.json" <<'PY'
import json
import sys

objects = json.loads(sys.argv[2] or "{}")
for line in open(sys.argv[1]):
    function, _, object_name = line.rstrip("\n").split("\t")
    objects[function] = object_name
json.dump({"source_objects": objects}, sys.stdout, indent=2, sort_keys=True)
PY
}

if $dry_run; then
  write_source_objects "{}"
  bucket=${DUKA_SOURCE_BUCKET:-<DUKA_SOURCE_BUCKET>}
  echo
  echo "dry run; a real deploy would:"
  for name in "${selected[@]}"; do
    echo "  upload ${zip_path[$name]} to gs://$bucket/${object_name[$name]} (unless present)"
  done
  echo "  terraform init with backend bucket ${DUKA_TF_STATE_BUCKET:-<DUKA_TF_STATE_BUCKET>}"
  echo "  terraform apply -target the APIs and secrets, then check every secret has a value"
  echo "  terraform apply -var-file=$BUILD_DIR/source_objects.tfvars.json"
  echo "    (functions not listed keep the zip they were last deployed with)"
  echo "  attach dead-letter topics to the Eventarc subscriptions, print the webhook URLs"
  exit 0
fi

# --- deploy ----------------------------------------------------------------------------------
tf() { terraform -chdir="$TF_DIR" "$@"; }
tf_vars=(
  -var "project_id=$DUKA_GCP_PROJECT"
  -var "source_bucket=$DUKA_SOURCE_BUCKET"
  -var-file "$BUILD_DIR/source_objects.tfvars.json"
)

tf init -input=false \
  -backend-config="bucket=$DUKA_TF_STATE_BUCKET" \
  -backend-config="prefix=${DUKA_TF_STATE_PREFIX:-duka/prod}" >/dev/null
write_source_objects "$(tf output -json source_objects 2>/dev/null || echo "{}")"

for name in "${selected[@]}"; do
  target="gs://$DUKA_SOURCE_BUCKET/${object_name[$name]}"
  if gcloud storage objects describe "$target" >/dev/null 2>&1; then
    echo "unchanged $target"
  else
    gcloud storage cp --quiet "${zip_path[$name]}" "$target"
  fi
done

# Functions cannot deploy with an empty secret, so create the secrets first and stop if any
# still lacks a value.
tf apply -input=false "${auto_approve[@]}" "${tf_vars[@]}" \
  -target=google_project_service.enabled -target=google_secret_manager_secret.runtime
empty_secrets=()
for secret in $(gcloud secrets list --project "$DUKA_GCP_PROJECT" \
  --filter="labels.app=duka" --format="value(name.basename())"); do
  version=$(gcloud secrets versions list "$secret" --project "$DUKA_GCP_PROJECT" \
    --filter="state=ENABLED" --limit=1 --format="value(name)")
  [ -n "$version" ] || empty_secrets+=("$secret")
done
if [ ${#empty_secrets[@]} -gt 0 ]; then
  printf '  %s\n' "${empty_secrets[@]}" >&2
  die "the secrets above have no value yet; add each with
  printf %s \"\$VALUE\" | gcloud secrets versions add NAME --data-file=- --project $DUKA_GCP_PROJECT
then run ./deploy.sh again"
fi

tf apply -input=false "${auto_approve[@]}" "${tf_vars[@]}"

# google_cloudfunctions2_function cannot set a dead-letter policy on the subscription Eventarc
# creates for a Pub/Sub trigger, so attach it here (a recreated trigger gets it back next run).
pubsub_agent=$(tf output -raw pubsub_service_agent)
tf output -json event_triggers | "$PYTHON" -c '
import json, sys
for function, t in sorted(json.load(sys.stdin).items()):
    print(function, t["trigger"], t["dead_letter_topic"])
' | while read -r function trigger dead_letter_topic; do
  location=$(cut -d/ -f4 <<<"$trigger")
  subscription=$(gcloud eventarc triggers describe "${trigger##*/}" --location "$location" \
    --project "$DUKA_GCP_PROJECT" --format="value(transport.pubsub.subscription)")
  [ -n "$subscription" ] || die "no Pub/Sub subscription found for $function's trigger $trigger"
  gcloud pubsub subscriptions update "$subscription" --quiet \
    --dead-letter-topic="$dead_letter_topic" --max-delivery-attempts=10 \
    --min-retry-delay=10s --max-retry-delay=600s >/dev/null
  gcloud pubsub subscriptions add-iam-policy-binding "$subscription" --quiet \
    --member="$pubsub_agent" --role=roles/pubsub.subscriber >/dev/null
  echo "dead letters of $function -> ${dead_letter_topic##*/}"
done

echo
echo "Twilio WhatsApp webhook:  $(tf output -raw twilio_whatsapp_webhook_url)"
echo "PayLink callback URL:     $(tf output -raw paylink_callback_url)"
echo "Daraja callback URL:      $(tf output -raw daraja_callback_url_pattern)"
echo "Owner dashboard:          $(tf output -raw dashboard_url)"
