/** npm run db:migrate: applies pending migrations (embedded PostgreSQL unless DATABASE_URL). */
import { openDatabase } from '../src/db/database.js';

const db = await openDatabase((m) => console.log(m));
await db.stop();
