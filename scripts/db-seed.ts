/**
 * npm run db:seed: demo accounts on the configured database (embedded unless DATABASE_URL).
 * Safe to run twice: existing accounts are kept, their passwords reset to the printed ones.
 * SEED_ADMIN_PASSWORD / SEED_DEMO_PASSWORD override the defaults.
 */
import { openDatabase } from '../src/db/database.js';
import { createPrisma } from '../src/db/prisma.js';
import { hashPassword } from '../src/utils/password.js';

const accounts = [
  {
    email: 'admin@llmguard.local',
    name: 'Admin',
    role: 'admin' as const,
    password: process.env.SEED_ADMIN_PASSWORD ?? 'Admin-Lantern-2026',
  },
  {
    email: 'demo@llmguard.local',
    name: 'Demo User',
    role: 'user' as const,
    password: process.env.SEED_DEMO_PASSWORD ?? 'Demo-Harbor-2026',
  },
];

const db = await openDatabase((m) => console.log(m));
const prisma = createPrisma(db.url, 2);
try {
  for (const account of accounts) {
    const passwordHash = await hashPassword(account.password);
    await prisma.user.upsert({
      where: { email: account.email },
      create: { email: account.email, name: account.name, role: account.role, passwordHash },
      update: { role: account.role, passwordHash },
    });
  }
  console.log('\nSeeded accounts (log in with POST /api/v1/auth/login):');
  for (const a of accounts) console.log(`  ${a.role.padEnd(5)}  ${a.email}  ${a.password}`);
} finally {
  await prisma.$disconnect();
  await db.stop();
}
