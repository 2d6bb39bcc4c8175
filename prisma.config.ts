// Configuration for Prisma's own CLI (`npx prisma ...`). The app itself applies migrations
// through scripts/db-migrate.ts, which needs no downloaded engine (see docs/DATABASE.md).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/llmguard' },
});
