#!/usr/bin/env bash
# One backup of the app database: mongodump --archive --gzip to BACKUP_DIR, then keep only the
# newest BACKUP_KEEP archives. Run by the chart's backup CronJob (the official mongo image,
# which ships mongodump); a failed or interrupted dump never replaces or prunes a good archive.
#
# Environment: MONGODB_URI (the app's connection string, from the chart's Secret),
# BACKUP_PREFIX (archive name prefix, the database name), BACKUP_KEEP, BACKUP_DIR (/backup).
set -euo pipefail
umask 077

dir=${BACKUP_DIR:-/backup}
prefix=${BACKUP_PREFIX:?BACKUP_PREFIX is not set}
keep=${BACKUP_KEEP:?BACKUP_KEEP is not set}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
archive="$dir/$prefix-$stamp.archive.gz"
partial="$dir/.$prefix-$stamp.partial"
# The connection string, password included, goes to mongodump in a file, never in argv.
config=$(mktemp "${TMPDIR:-/tmp}/mongodump.XXXXXX")
trap 'rm -f "$partial" "$config"' EXIT

printf "uri: '%s'\n" "${MONGODB_URI//\'/\'\'}" >"$config"
mongodump --config="$config" --archive="$partial" --gzip
mv "$partial" "$archive"
echo "backup: wrote $archive ($(stat -c %s "$archive") bytes)"

# Archive names sort by time; remove all but the newest $keep.
find "$dir" -maxdepth 1 -name "$prefix-*.archive.gz" -printf '%f\n' | sort -r |
  tail -n "+$((keep + 1))" | while read -r old; do
    rm -f -- "${dir:?}/$old"
    echo "backup: removed $dir/$old"
  done
