import { defineConfig } from 'vitest/config';

// Limits high enough that suites are not throttled; the security tests inject low ones.
const env = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  BCRYPT_COST: '4',
  AUTH_RATE_LIMIT_PER_IP: '1000000',
  AUTH_RATE_LIMIT_PER_EMAIL: '1000000',
  IP_BLOCK_THRESHOLD: '1000000',
  API_RATE_LIMIT_PER_USER: '1000000',
  API_RATE_LIMIT_PER_KEY: '1000000',
  INCIDENT_CHECK_INTERVAL_MS: '0',
  ALERT_ALLOW_PRIVATE_NETWORKS: 'true',
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          env,
          setupFiles: ['tests/helpers/loopbackOnly.ts'],
          // Property tests run thousands of cases: on a loaded 2-core machine 5 s is too tight.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          env,
          globalSetup: ['tests/helpers/globalSetup.ts'],
          setupFiles: ['tests/helpers/loopbackOnly.ts', 'tests/helpers/logScan.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
