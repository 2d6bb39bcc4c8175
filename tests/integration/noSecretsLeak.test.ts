import { generateSync } from 'otplib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../helpers/captureLogs.js';
import { STRONG_PASSWORD, bearer, uniqueEmail } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const capture = capturingLogger();
const ctx = useTestApp({ logger: capture.logger });

describe('secrets never leak', () => {
  it('should keep passwords, tokens, hashes and MFA secrets out of every log line and response', async () => {
    const secrets: string[] = [STRONG_PASSWORD];
    const bodies: string[] = [];
    const keep = (res: request.Response) => {
      bodies.push(JSON.stringify(res.body));
      return res;
    };
    const email = uniqueEmail();
    const reg = keep(await request(ctx.app).post('/api/v1/auth/register').send({ email, password: STRONG_PASSWORD }));
    secrets.push(reg.body.accessToken, reg.body.refreshToken);
    keep(await request(ctx.app).post('/api/v1/auth/login').send({ email, password: 'Wrong-Password-123' }));
    const login = keep(await request(ctx.app).post('/api/v1/auth/login').send({ email, password: STRONG_PASSWORD }));
    secrets.push(login.body.accessToken, login.body.refreshToken);
    const refreshed = keep(
      await request(ctx.app)
        .post('/api/v1/auth/refresh-token')
        .set('X-Request-Id', 'leak-check')
        .send({ refreshToken: login.body.refreshToken }),
    );
    secrets.push(refreshed.body.refreshToken, refreshed.body.accessToken);
    const setup = await request(ctx.app).post('/api/v1/auth/mfa/setup').set(bearer(reg.body.accessToken));
    secrets.push(setup.body.secret);
    const enable = await request(ctx.app)
      .post('/api/v1/auth/mfa/enable')
      .set(bearer(reg.body.accessToken))
      .send({ code: generateSync({ secret: setup.body.secret }) });
    secrets.push(...enable.body.recoveryCodes);
    const newPassword = 'Amber-Quarry-Sparrow-58';
    secrets.push(newPassword);
    keep(
      await request(ctx.app)
        .post('/api/v1/settings/profile')
        .set(bearer(reg.body.accessToken))
        .send({ currentPassword: STRONG_PASSWORD, newPassword }),
    );
    keep(await request(ctx.app).get('/api/v1/settings/profile').set(bearer(reg.body.accessToken)));
    const user = await ctx.prisma.user.findUniqueOrThrow({ where: { email } });
    secrets.push(user.passwordHash, user.mfaSecretEnc!);

    expect(capture.lines.length).toBeGreaterThan(5);
    expect(capture.lines.some((l) => l.includes('leak-check'))).toBe(true);
    const logText = capture.lines.join('\n');
    for (const secret of secrets) expect(logText).not.toContain(secret);
    for (const body of bodies) {
      expect(body).not.toMatch(/passwordHash|\$2[aby]\$|mfaSecret/);
      expect(body).not.toContain(STRONG_PASSWORD);
    }
    // Request lines carry no headers at all; anything that does log a credential field is redacted.
    expect(capture.lines.some((l) => l.includes('"request completed"'))).toBe(true);
    expect(logText).not.toMatch(/"authorization"/i);
    capture.logger.warn({ req: { headers: { authorization: 'Bearer probe-secret' } }, apiKey: 'lgk_probe' }, 'probe');
    const probe = capture.lines.at(-1)!;
    expect(probe).toContain('[REDACTED]');
    expect(probe).not.toMatch(/probe-secret|lgk_probe/);
  });
});
