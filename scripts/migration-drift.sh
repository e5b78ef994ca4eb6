#!/usr/bin/env bash
# Migration drift check: the committed migrations must build the database prisma/schema.prisma
# describes (an edit of the schema without its migration, or a migration edited afterwards,
# fails here). `prisma migrate diff --from-migrations` cannot run on the WASM schema engine (it
# cannot read PostgreSQL's internal "char" type; docs/deployment.md), so: database A gets
# `prisma migrate deploy`, database B the SQL `prisma migrate diff --from-empty` writes for the
# schema, and their catalogues (columns, indexes, constraints, enums) must be the same.
#   npm run db:drift    # PostgreSQL server: DRIFT_DATABASE_SERVER, default postgresql://postgres@127.0.0.1:5432
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER="${DRIFT_DATABASE_SERVER:-postgresql://postgres@127.0.0.1:5432}"
SCHEMA="${DRIFT_SCHEMA:-prisma/schema.prisma}"
NAME="drift_$(date +%s)_$$"
WORK="$(mktemp -d)"
psql -q "${SERVER}/postgres" -c "CREATE DATABASE ${NAME}_migrations" -c "CREATE DATABASE ${NAME}_schema"
cleanup() {
  psql -q "${SERVER}/postgres" -c "DROP DATABASE IF EXISTS ${NAME}_migrations WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${NAME}_schema WITH (FORCE)" > /dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

DATABASE_URL="${SERVER}/${NAME}_migrations" PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma migrate deploy > "${WORK}/deploy.log" 2>&1 || { cat "${WORK}/deploy.log"; exit 1; }
DATABASE_URL="${SERVER}/${NAME}_schema" PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma migrate diff --from-empty --to-schema-datamodel "${SCHEMA}" --script > "${WORK}/schema.sql" 2> "${WORK}/diff.log" || { cat "${WORK}/diff.log"; exit 1; }
psql -q -v ON_ERROR_STOP=1 "${SERVER}/${NAME}_schema" -f "${WORK}/schema.sql" > /dev/null 2>&1

cat > "${WORK}/catalogue.sql" <<'SQL'
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || coalesce('(' || udt_name || ')', '')
       || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END || coalesce(' default ' || column_default, '')
  FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
UNION ALL
SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumlabel)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
ORDER BY 1;
SQL
psql -qAt -v ON_ERROR_STOP=1 "${SERVER}/${NAME}_migrations" -f "${WORK}/catalogue.sql" > "${WORK}/migrations.txt"
psql -qAt -v ON_ERROR_STOP=1 "${SERVER}/${NAME}_schema" -f "${WORK}/catalogue.sql" > "${WORK}/schema.txt"
if diff -u --label "built by prisma/migrations" --label "described by ${SCHEMA}" "${WORK}/migrations.txt" "${WORK}/schema.txt"; then
  echo "migration drift check: prisma/migrations build ${SCHEMA} ($(wc -l < "${WORK}/schema.txt") catalogue entries)"
else
  echo "migration drift check: prisma/migrations and ${SCHEMA} differ (above); add the migration: npm run db:new-migration -- <name>"
  exit 1
fi
